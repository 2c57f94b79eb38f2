extern alias gateway;

using System.Collections.Frozen;
using ModelVersionResolver = gateway::AiFactory.Gateway.Caching.ModelVersionResolver;
using ReplicaObservation = gateway::AiFactory.Gateway.Traffic.ReplicaObservation;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// The version a request that names none is looked up in the cache under, learnt from what the replicas last said
/// instead of a round trip per request: only when every replica serves the same newest version.
/// </summary>
public sealed class ModelVersionResolverTests
{
    private const string Model = "detector";

    [Fact]
    public void Replicas_that_all_serve_the_same_newest_ready_version_name_it_compared_as_a_number()
    {
        var replicas = new[] { Replica(("9", "READY"), ("10", "READY")), Replica(("10", "READY")) };

        Assert.Equal("10", ModelVersionResolver.ServedEverywhere(replicas, Model));
    }

    [Fact]
    public void A_newer_version_still_loading_everywhere_leaves_the_ready_one_served()
    {
        var replicas = new[] { Replica(("3", "READY"), ("4", "LOADING")), Replica(("3", "READY"), ("4", "UNAVAILABLE")) };

        Assert.Equal("3", ModelVersionResolver.ServedEverywhere(replicas, Model));
    }

    [Theory]
    [InlineData("one replica has the new version ready, the other not yet")]
    [InlineData("one replica does not have the model")]
    [InlineData("one replica has nothing of it ready")]
    [InlineData("no replica counts")]
    public void While_the_replicas_disagree_or_say_nothing_the_version_is_not_known_here(string situation)
    {
        ReplicaObservation[] replicas = situation switch
        {
            "one replica has the new version ready, the other not yet" => [Replica(("3", "READY"), ("4", "READY")), Replica(("3", "READY"), ("4", "LOADING"))],
            "one replica does not have the model" => [Replica(("3", "READY")), Replica()],
            "one replica has nothing of it ready" => [Replica(("3", "READY")), Replica(("3", "LOADING"))],
            _ => [],
        };

        Assert.Null(ModelVersionResolver.ServedEverywhere(replicas, Model));
    }

    private static ReplicaObservation Replica(params (string Version, string State)[] versions) =>
        new("inference", Guid.NewGuid().ToString("N"), "http://localhost:1",
            versions.Length == 0
                ? FrozenDictionary<string, FrozenDictionary<string, string>>.Empty
                : new Dictionary<string, FrozenDictionary<string, string>> { [Model] = versions.ToFrozenDictionary(v => v.Version, v => v.State) }.ToFrozenDictionary(),
            DateTimeOffset.UnixEpoch);
}
