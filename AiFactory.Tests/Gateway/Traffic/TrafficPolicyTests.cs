extern alias gateway;

using gateway::AiFactory.Gateway.Traffic;

namespace AiFactory.Tests.Gateway.Traffic;

/// <summary>The weights column as the gateway reads it, and which version is the stable one.</summary>
public sealed class TrafficPolicyTests
{
    [Theory]
    [InlineData("""{"2": 10, "1": 90}""", "1=90 2=10")]
    [InlineData("""{"1": 100, "3": 0}""", "1=100 3=0")]
    public void Weights_are_read_in_ascending_version_order(string json, string expected) =>
        Assert.Equal(expected, TrafficPolicy.Describe(TrafficPolicy.ParseWeights(json)!.Value));

    [Theory]
    [InlineData("""{"1": 90}""")]                 // not 100 in all
    [InlineData("""{"1": 110, "2": -10}""")]      // outside 0..100
    [InlineData("""{"01": 100}""")]               // not a canonical version
    [InlineData("""{"0": 100}""")]                // versions are positive
    [InlineData("""{"1": 99.5, "2": 0.5}""")]     // whole percents only
    [InlineData("""[100]""")]
    [InlineData("""not json""")]
    public void Weights_the_gateway_cannot_route_by_are_refused(string json) =>
        Assert.Null(TrafficPolicy.ParseWeights(json));

    [Theory]
    [InlineData("1=90 2=10", 1)]
    [InlineData("1=10 2=90", 2)]
    [InlineData("1=50 2=50", 1)]  // a tie: the older version
    [InlineData("2=50 3=50", 2)]
    public void The_stable_version_has_the_largest_weight_and_ties_go_to_the_older(string weights, int stable)
    {
        var policy = new TrafficPolicy(1, "m", [.. weights.Split(' ').Select(pair => pair.Split('='))
            .Select(pair => new VersionWeight(int.Parse(pair[0]), int.Parse(pair[1])))], null);

        Assert.Equal(stable, policy.Stable);
    }
}
