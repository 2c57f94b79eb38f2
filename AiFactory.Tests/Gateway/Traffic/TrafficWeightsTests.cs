extern alias gateway;

using System.Collections.Immutable;
using gateway::AiFactory.Gateway.Traffic;

namespace AiFactory.Tests.Gateway.Traffic;

/// <summary>Observed weights: the policy over the versions that serve everywhere, or an earlier policy while none does.</summary>
public sealed class TrafficWeightsTests
{
    [Fact]
    public void A_canary_not_yet_served_everywhere_gets_no_traffic_and_the_rest_is_renormalised()
    {
        var observed = TrafficWeights.Compute([Policy(2, (1, 90), (2, 10))], version => version == 1);

        Assert.Equal((2L, "1=100"), (observed!.PolicyId, TrafficPolicy.Describe(observed.Weights)));
    }

    [Fact]
    public void Every_version_served_everywhere_gives_the_desired_weights()
    {
        var observed = TrafficWeights.Compute([Policy(2, (1, 90), (2, 10))], _ => true);

        Assert.Equal("1=90 2=10", TrafficPolicy.Describe(observed!.Weights));
    }

    [Fact]
    public void While_no_version_of_the_new_policy_serves_the_most_recent_earlier_policy_that_has_one_applies()
    {
        TrafficPolicy[] history = [Policy(5, (3, 100)), Policy(4, (2, 100)), Policy(3, (1, 60), (2, 40))];

        var observed = TrafficWeights.Compute(history, version => version == 2);

        Assert.Equal((4L, "2=100"), (observed!.PolicyId, TrafficPolicy.Describe(observed.Weights)));
    }

    [Fact]
    public void A_version_at_0_percent_is_loaded_but_never_observed_with_traffic()
    {
        var observed = TrafficWeights.Compute([Policy(1, (1, 100), (2, 0))], _ => true);

        Assert.Equal("1=100", TrafficPolicy.Describe(observed!.Weights));
    }

    [Fact]
    public void Nothing_serving_anywhere_observes_nothing()
    {
        Assert.Null(TrafficWeights.Compute([Policy(2, (2, 100)), Policy(1, (1, 100))], _ => false));
    }

    [Theory]
    [InlineData("50 30", "63 37")]   // 62.5 / 37.5: the tie goes to the older version
    [InlineData("10 10 10", "34 33 33")]
    [InlineData("1 2", "33 67")]
    [InlineData("90 10", "90 10")]
    public void Renormalising_keeps_the_proportions_in_whole_percents_summing_to_100(string weights, string expected)
    {
        var input = weights.Split(' ').Select((percent, i) => new VersionWeight(i + 1, int.Parse(percent))).ToList();

        var renormalised = TrafficWeights.Renormalise(input);

        Assert.Equal(expected, string.Join(" ", renormalised.Select(weight => weight.Percent)));
        Assert.Equal(100, renormalised.Sum(weight => weight.Percent));
    }

    private static TrafficPolicy Policy(long id, params (int Version, int Percent)[] weights) =>
        new(id, "m", [.. weights.Select(weight => new VersionWeight(weight.Version, weight.Percent))], null);
}
