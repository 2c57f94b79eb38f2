extern alias console;

using console::AiFactory.Dashboard.Models;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>The traffic editor's rules: whole percents 0–100 summing to 100, a reason, the preview of the split.</summary>
public sealed class TrafficSplitTests
{
    [Fact]
    public void Starts_from_the_policy_in_force_with_every_other_ready_version_at_zero()
    {
        var split = new TrafficSplit([1, 2, 3], new Dictionary<string, int> { ["1"] = 100 });

        Assert.Equal([(1, 100), (2, 0), (3, 0)], split.Weights.Select(weight => (weight.Key, weight.Value)));
        Assert.Equal([(1, 100)], split.Preview());
    }

    [Fact]
    public void A_90_10_split_with_a_reason_can_be_sent_and_becomes_the_gateways_request()
    {
        var split = new TrafficSplit([1, 2], new Dictionary<string, int> { ["1"] = 100 }) { Reason = "  canary v2  " };
        split.Set(1, 90);
        split.Set(2, 10);

        Assert.Empty(split.Problems());
        Assert.True(split.IsValid);
        Assert.Equal([(1, 90), (2, 10)], split.Preview());
        var change = split.ToChange();
        Assert.Equal(new Dictionary<string, int> { ["1"] = 90, ["2"] = 10 }, change.Weights);
        Assert.Equal(("canary v2", false), (change.Reason, change.Force));
    }

    [Fact]
    public void Weights_that_do_not_sum_to_100_are_refused_naming_the_sum()
    {
        var split = new TrafficSplit([1, 2], new Dictionary<string, int>()) { Reason = "canary" };
        split.Set(1, 90);
        split.Set(2, 20);

        Assert.Equal(["the weights sum to 110%, not 100%"], split.Problems());
        Assert.False(split.IsValid);
    }

    [Fact]
    public void A_weight_outside_0_to_100_is_refused_even_when_the_sum_is_100()
    {
        var split = new TrafficSplit([1, 2], new Dictionary<string, int>()) { Reason = "canary" };
        split.Set(1, 150);
        split.Set(2, -50);

        Assert.Equal(["version 1: 150% is not between 0 and 100", "version 2: -50% is not between 0 and 100"], split.Problems());
    }

    [Fact]
    public void A_split_without_a_reason_is_refused_because_the_audit_log_needs_one()
    {
        var split = new TrafficSplit([1], new Dictionary<string, int> { ["1"] = 100 }) { Reason = "   " };

        Assert.Equal(["say why: the reason goes into the audit log"], split.Problems());
    }

    [Fact]
    public void A_model_with_no_ready_version_has_nothing_to_split()
    {
        var split = new TrafficSplit([], new Dictionary<string, int>()) { Reason = "canary" };

        Assert.Equal(["no version is ready to take traffic"], split.Problems());
    }

    [Fact]
    public void A_version_the_editor_does_not_hold_cannot_be_given_traffic()
    {
        var split = new TrafficSplit([1], new Dictionary<string, int>());

        Assert.Throws<ArgumentOutOfRangeException>(() => split.Set(7, 10));
    }
}
