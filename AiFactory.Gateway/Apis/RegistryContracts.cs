using System.Text.Json;
using AiFactory.Gateway.Registry;

namespace AiFactory.Gateway.Apis;

// The registry's admin API shapes (registry contract, "Admin API"), serialized snake_case.

/// <summary>A model: its versions, the traffic it should get and gets, and each replica's state of its versions.</summary>
public sealed record ModelView(
    string Name, DateTimeOffset CreatedAt, string CreatedBy, IReadOnlyList<VersionView> Versions, TrafficView Traffic, IReadOnlyList<ReplicaView> Replicas)
{
    public static ModelView Of(ModelRecord model, IObservedTraffic observed) =>
        new(model.Name, model.CreatedAt, model.CreatedBy, [.. model.Versions.Select(VersionView.Of)], TrafficView.Of(model.Name, model.Policy, observed),
            [.. observed.Replicas(model.Name).Select(ReplicaView.Of)]);
}

/// <summary>
/// A version: immutable facts (hash, size, config, lineage, who uploaded it), what validation learnt (signature, opset,
/// producer, the report in <see cref="Validation"/>), its own labelled set (<see cref="LabelledSet"/>: where it is stored, its metric,
/// output and samples; its parent's for a derived version) and its state with the reason.
/// </summary>
public sealed record VersionView(
    string Model, int Version, string State, string StateReason, string Sha256, long SizeBytes, JsonElement Config, JsonElement? Signature,
    int? Opset, string? Producer, LineageView Lineage, DateTimeOffset CreatedAt, string CreatedBy, JsonElement? Validation, JsonElement? LabelledSet)
{
    public static VersionView Of(VersionRecord version) =>
        new(version.Model, version.Version, version.State, version.StateReason, version.Sha256, version.SizeBytes, RegistryJson.Element(version.Config)!.Value,
            RegistryJson.Element(version.Signature), version.Opset, version.Producer, new LineageView(version.ParentVersion, RegistryJson.Element(version.Transform)),
            version.CreatedAt, version.CreatedBy, RegistryJson.Element(version.Report), RegistryJson.Element(version.LabelledSet));
}

/// <summary>Where a version comes from: the version it was made from and how (an optimization), or nulls for an upload.</summary>
public sealed record LineageView(int? Parent, JsonElement? Transform);

/// <summary>
/// A model's traffic: the policy in force (<see cref="Desired"/>, version → percent) and what the gateway routes by now
/// (<see cref="Observed"/>: the desired versions every replica serves), with the policy's id, reason, time and author.
/// </summary>
public sealed record TrafficView(
    string Model, IReadOnlyDictionary<string, int> Desired, IReadOnlyDictionary<string, int> Observed, long? PolicyId, string? Reason,
    DateTimeOffset? UpdatedAt, string? UpdatedBy)
{
    public static TrafficView Of(string model, PolicyRecord? policy, IObservedTraffic observed) =>
        new(model, Weights(policy?.Weights ?? new Dictionary<int, int>()), Weights(observed.Weights(model)), policy?.Id, policy?.Reason, policy?.CreatedAt,
            policy?.CreatedBy);

    // Ascending versions, so {"1": 90, "2": 10} reads (and compares) the same everywhere.
    private static Dictionary<string, int> Weights(IReadOnlyDictionary<int, int> weights) =>
        weights.OrderBy(weight => weight.Key).ToDictionary(weight => weight.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), weight => weight.Value);
}

/// <summary>One inference replica: its name, whether it takes traffic, and version → <c>loading|ready|failed</c>.</summary>
public sealed record ReplicaView(string Name, bool Ready, IReadOnlyDictionary<string, string> Versions)
{
    public static ReplicaView Of(ReplicaModelState replica) =>
        new(replica.Name, replica.Ready, replica.Versions.OrderBy(version => version.Key)
            .ToDictionary(version => version.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), version => version.Value));
}

/// <summary>The answer to an upload: the new version, in state <c>validating</c>.</summary>
public sealed record UploadedVersion(string Model, int Version, string Sha256, long SizeBytes, string State)
{
    public static UploadedVersion Of(VersionRecord version) => new(version.Model, version.Version, version.Sha256, version.SizeBytes, version.State);
}

/// <summary>
/// Body of <c>PUT /api/admin/models/{model}/traffic</c>: whole percents per version (0–100, summing to 100; a version
/// at 0 stays loaded), why, and <see cref="Force"/> to give traffic to a version whose signature is incompatible.
/// </summary>
public sealed record TrafficRequest(Dictionary<string, int>? Weights, string? Reason, bool? Force);

/// <summary>Body of <c>POST /api/admin/models/{model}/rollback</c>.</summary>
public sealed record RollbackRequest(string? Reason);

/// <summary>
/// One audit entry: when, which key (<c>system</c>: the gateway itself; <c>bootstrap</c>: the bootstrap admin key),
/// the action, on what, the state before and after (JSON), and the reason given.
/// </summary>
public sealed record AuditEntryView(
    long Id, DateTimeOffset At, string KeyId, string Action, string? Model, int? Version, JsonElement? Before, JsonElement? After, string? Reason)
{
    public static AuditEntryView Of(AuditRecord entry) =>
        new(entry.Id, entry.At, entry.KeyId, entry.Action, entry.Model, entry.Version, RegistryJson.Element(entry.Before), RegistryJson.Element(entry.After), entry.Reason);
}
