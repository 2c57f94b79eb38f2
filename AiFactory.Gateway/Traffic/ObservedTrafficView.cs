using System.Globalization;
using AiFactory.Gateway.Registry;
using Yarp.ReverseProxy.Model;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// Joins the desired side (<see cref="TrafficPolicies"/>) with the observed one (<see cref="ReplicaStateMonitor"/>):
/// the weights routing uses now, and which replicas may take a request for a version.
/// </summary>
public sealed class ObservedTrafficView(TrafficPolicies policies, ReplicaStateMonitor replicas) : IObservedTraffic
{
    /// <summary>
    /// The weights to route <paramref name="model"/> by; null when it has no policy (inference chooses), or when no
    /// version of its policy serves on any replica. Versions serving on every counted replica (REST and gRPC ports
    /// alike) come first; while none does, the policy in force over the versions serving somewhere, whose requests
    /// then go only to the replicas that serve them. A gateway that knows nothing of the replicas routes by the policy.
    /// </summary>
    public ObservedTraffic? Observe(string model)
    {
        var history = policies.HistoryOf(model);
        if (history.IsEmpty)
        {
            return null;
        }

        var counted = ReplicaStateMonitor.Clusters.SelectMany(cluster => replicas.Counted(cluster) ?? []).ToList();
        if (counted.Count == 0)
        {
            return TrafficWeights.Compute(history.Take(1), _ => true);
        }

        return TrafficWeights.Compute(history, version => counted.All(replica => replica.Observation.Serves(model, Text(version))))
               ?? TrafficWeights.Compute(history.Take(1), version => counted.Any(replica => replica.Observation.Serves(model, Text(version))));
    }

    /// <summary>
    /// The destinations of <paramref name="cluster"/> that may take a request for <paramref name="model"/> version
    /// <paramref name="version"/>: the available ones that serve it. Null when the gateway knows nothing of the
    /// replicas (route as YARP would); empty when no replica serves it.
    /// </summary>
    public IReadOnlyList<DestinationState>? Serving(string cluster, string model, string version) =>
        replicas.Counted(cluster) is { } counted
            ? [.. counted.Where(replica => replica.Observation.Serves(model, version)).Select(replica => replica.Destination)]
            : null;

    /// <summary>True when a counted replica of <paramref name="cluster"/> lists the version at all (loading or failed included).</summary>
    public bool IsKnown(string cluster, string model, string version) =>
        replicas.Counted(cluster)?.Any(replica => replica.Observation.Lists(model, version)) == true;

    public bool HasPolicy(string model) => !policies.HistoryOf(model).IsEmpty;

    public IReadOnlyDictionary<int, int> Weights(string model) =>
        Observe(model) is { } observed
            ? observed.Weights.ToDictionary(weight => weight.Version, weight => weight.Percent)
            : new Dictionary<int, int>();

    public IReadOnlyList<ReplicaModelState> Replicas(string model)
    {
        var counted = replicas.Counted(ReplicaStateMonitor.Clusters[0])?.Select(replica => replica.Destination.DestinationId).ToHashSet() ?? [];
        return [.. replicas.Replicas().Select(replica => new ReplicaModelState(
            replica.Name,
            replica.Observation is { } observation && counted.Contains(observation.DestinationId),
            // The registry numbers its versions; a folder's version named otherwise has no place in its API.
            replica.Observation?.Models.GetValueOrDefault(model)?
                .Where(version => int.TryParse(version.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .ToDictionary(version => int.Parse(version.Key, CultureInfo.InvariantCulture), version => StateName(version.Value))
                ?? new Dictionary<int, string>()))];
    }

    private static string StateName(string state) => state switch
    {
        ReplicaStates.Ready => "ready",
        ReplicaStates.Loading => "loading",
        _ => "failed",
    };

    private static string Text(int version) => version.ToString(CultureInfo.InvariantCulture);
}
