namespace AiFactory.Gateway.Traffic;

/// <summary>
/// The observed side of a model's traffic, for the admin API's list and show (<c>traffic.observed</c> and
/// <c>replicas</c>): what is served now, beside the desired policy the registry holds.
/// </summary>
public interface IObservedTraffic
{
    /// <summary>
    /// The weights requests are routed by now (<c>{"1": 90, "2": 10}</c>): the policy's weights over the versions every
    /// available replica serves; empty when the model has no policy or none of its versions serves yet.
    /// </summary>
    IReadOnlyDictionary<string, int> ObservedWeights(string model);

    /// <summary>Every inference replica, whether it takes traffic, and the versions of <paramref name="model"/> it holds.</summary>
    IReadOnlyList<ReplicaModelState> Replicas(string model);
}

/// <summary>
/// One replica in the admin API: <c>{"name", "ready", "versions": {"1": "ready"}}</c>; a version's state is
/// <c>loading</c>, <c>ready</c> or <c>failed</c>. <see cref="Ready"/> is false for a replica the gateway's health
/// checks have taken out or that has not said what it serves lately.
/// </summary>
public sealed record ReplicaModelState(string Name, bool Ready, IReadOnlyDictionary<string, string> Versions);
