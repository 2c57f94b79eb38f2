namespace AiFactory.Gateway.Registry;

/// <summary>
/// What the inference replicas serve now, as this gateway observes it: the admin API reports it beside the desired
/// state. The replica state monitor implements it (registry contract, "Observed state"); until it is registered,
/// <see cref="NoObservedTraffic"/> reports nothing.
/// </summary>
public interface IObservedTraffic
{
    /// <summary>
    /// The weights requests for <paramref name="model"/> that name no version are routed by now (version → percent,
    /// summing to 100); empty when they are not split (no policy, or no version of it served everywhere yet).
    /// </summary>
    IReadOnlyDictionary<int, int> Weights(string model);

    /// <summary>Every replica of the inference service, whether it is available, and the state of each of <paramref name="model"/>'s versions it holds.</summary>
    IReadOnlyList<ReplicaModelState> Replicas(string model);
}

/// <summary>One replica as the admin API shows it: its name, whether it takes traffic, and version → <c>loading|ready|failed</c>.</summary>
public sealed record ReplicaModelState(string Name, bool Ready, IReadOnlyDictionary<int, string> Versions);

/// <summary>Observes nothing: empty observed weights and no replicas.</summary>
public sealed class NoObservedTraffic : IObservedTraffic
{
    public IReadOnlyDictionary<int, int> Weights(string model) => new Dictionary<int, int>();

    public IReadOnlyList<ReplicaModelState> Replicas(string model) => [];
}
