using System.Text.Json.Nodes;
using AiFactory.Inference.Analysis;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;

namespace AiFactory.Tests.Analysis;

/// <summary>What a sweep measures: the shipped config first, each swept config as a valid config.json patched from it, within the bounds.</summary>
public sealed class SweepPlanTests
{
    // The classifier's shipped config.json.
    private const string Shipped = """
        {"max_batch_size": 64, "dynamic_batching": {"max_queue_delay_us": 500, "max_queue_size": 4096, "preferred_batch_sizes": [16, 64]},
         "inputs": [{"name": "x", "dims": [3, 48, 192]}], "warmup": [1, 8, 64]}
        """;

    [Fact]
    public void The_shipped_config_comes_first_then_every_combination_each_at_every_concurrency_level()
    {
        var plan = Plan(new SweepRanges([8, 32], [1000], [1, 2], [1], ["cpu"], [1, 4]));

        Assert.True(plan.Candidates[0].Baseline);
        Assert.Equal(new SweepSettings(64, 500, 1, 0, "cpu"), plan.Candidates[0].Settings);
        Assert.Equal(5, plan.Candidates.Count);
        Assert.Equal(10, plan.Points);
    }

    [Fact]
    public void A_swept_config_is_the_shipped_one_with_the_changed_fields_and_batch_sizes_kept_within_max_batch_size()
    {
        var candidate = Plan(new SweepRanges([8], [2000], [2], [1], ["cpu"], [1])).Candidates[1];

        Assert.Null(candidate.Problem);
        Assert.Equal(8, candidate.Config!.MaxBatchSize);
        Assert.Equal(2000, candidate.Config.DynamicBatching!.MaxQueueDelayUs);
        Assert.Equal(4096, candidate.Config.DynamicBatching.MaxQueueSize);
        Assert.Empty(candidate.Config.DynamicBatching.PreferredBatchSizes);
        Assert.Equal([1, 8], candidate.Config.Warmup);
        Assert.Equal(2, candidate.Config.InstanceCount);
        Assert.Equal(1, candidate.Config.IntraOpThreads);
        Assert.Equal("x", candidate.Config.Inputs[0].Name);
        Assert.Equal("""{"max_batch_size":8,"dynamic_batching.max_queue_delay_us":2000,"instance_count":2,"intra_op_threads":1}""",
            candidate.Changes.ToJsonString());
    }

    [Fact]
    public void The_same_settings_as_the_shipped_config_are_measured_once()
    {
        var plan = Plan(new SweepRanges([64], [500], [1], [0], ["cpu"], [1]));

        Assert.Single(plan.Candidates);
    }

    [Theory]
    [InlineData("max_batch_size", "'sweep.max_batch_size' has 0, which must be between 1 and 4096 for a batched model")]
    [InlineData("instance_count", "'sweep.instance_count' has 0, which must be between 1 and 16")]
    [InlineData("concurrency", "'sweep.concurrency' has 0, which must be between 1 and 256")]
    public void A_value_out_of_range_is_refused_naming_the_field(string field, string message)
    {
        var ranges = field switch
        {
            "max_batch_size" => new SweepRanges(MaxBatchSize: [8, 0]),
            "instance_count" => new SweepRanges(InstanceCount: [0]),
            _ => new SweepRanges(Concurrency: [0]),
        };

        var error = Assert.Throws<InferenceError>(() => Plan(ranges));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_sweep_past_the_point_bound_is_refused_saying_how_many_points_it_makes()
    {
        var error = Assert.Throws<InferenceError>(() => Plan(new SweepRanges([4, 8, 16, 32], [0, 1000], [1, 2], [1], ["cpu"], [1, 8])));

        Assert.StartsWith("'sweep' makes 34 points (17 configurations, the version's own included, × 2 concurrency levels)", error.Message);
    }

    [Fact]
    public void A_config_without_batching_is_swept_without_batching()
    {
        var shipped = new ModelConfig();
        var plan = SweepPlan.For([], shipped, new SweepRanges(InstanceCount: [2], IntraOpThreads: [1], Concurrency: [1]), null, ["cpu"]);

        Assert.Equal(new SweepSettings(0, null, 0, 0, "cpu"), plan.Candidates[0].Settings);
        Assert.Equal(new SweepSettings(0, null, 2, 1, "cpu"), plan.Candidates[1].Settings);
        Assert.Throws<InferenceError>(() => SweepPlan.For([], shipped, new SweepRanges(MaxBatchSize: [8]), null, ["cpu"]));
    }

    private static SweepPlan Plan(SweepRanges ranges) =>
        SweepPlan.For((JsonObject)JsonNode.Parse(Shipped)!, ModelConfig.Parse(Shipped, "test"), ranges, 1, ["cpu"]);
}
