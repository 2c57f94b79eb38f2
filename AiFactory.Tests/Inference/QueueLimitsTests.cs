using AiFactory.Inference.Batching;
using AiFactory.Inference.Protocol;

namespace AiFactory.Tests.Inference;

/// <summary>The batch queue's accounting, in items and in bytes (no clock, no model).</summary>
public sealed class QueueLimitsTests
{
    [Fact]
    public void The_queue_takes_requests_up_to_its_bytes_then_refuses_with_503_naming_max_queue_bytes()
    {
        var limits = new QueueLimits("m", "1", maxItems: 0, maxBytes: 1000);
        limits.Enter(1, 400);
        limits.Enter(1, 600);

        var refused = Assert.Throws<InferenceException>(() => limits.Enter(1, 1));

        Assert.Equal(503, refused.StatusCode);
        Assert.Equal("model 'm' version 1 is overloaded: its queue holds 1000 of at most 1000 bytes (max_queue_bytes)", refused.Message);
        Assert.Equal((2, 1000), (limits.Items, limits.Bytes));
    }

    [Fact]
    public void Room_given_back_is_taken_again()
    {
        var limits = new QueueLimits("m", "1", maxItems: 0, maxBytes: 1000);
        limits.Enter(1, 700);
        Assert.Throws<InferenceException>(() => limits.Enter(1, 700));

        limits.Leave(1, 700);
        limits.Enter(1, 700);

        Assert.Equal((1, 700), (limits.Items, limits.Bytes));
    }

    [Fact]
    public void The_item_bound_still_holds_and_a_refusal_takes_nothing()
    {
        var limits = new QueueLimits("m", "1", maxItems: 3, maxBytes: 1000);
        limits.Enter(2, 10);

        var refused = Assert.Throws<InferenceException>(() => limits.Enter(2, 10));

        Assert.Equal(503, refused.StatusCode);
        Assert.Equal("model 'm' version 1 is overloaded: its queue holds 3 items (max_queue_size)", refused.Message);
        Assert.Equal((2, 10), (limits.Items, limits.Bytes));
    }

    [Fact]
    public void A_request_larger_than_the_whole_queue_is_a_bad_request_not_an_overload()
    {
        var limits = new QueueLimits("m", "1", maxItems: 0, maxBytes: 1000);

        var refused = Assert.Throws<InferenceException>(() => limits.Enter(1, 1001));

        Assert.Equal(400, refused.StatusCode);
        Assert.Equal("the request's inputs hold 1001 bytes, more than max_queue_bytes (1000) of model 'm'", refused.Message);
        Assert.Equal((0, 0), (limits.Items, limits.Bytes));
    }
}
