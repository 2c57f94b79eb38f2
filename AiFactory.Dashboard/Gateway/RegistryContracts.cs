using System.Text.Json.Nodes;

namespace AiFactory.Dashboard.Gateway;

// The registry's admin API (GET /api/admin/models and friends), as the console reads it. The validation report stays
// JSON: the page shows the parts it knows (drift, latency profile, recommended batch size) and never fails on the rest.

public sealed record ModelView(string Name, DateTimeOffset CreatedAt, string CreatedBy, VersionView[] Versions, TrafficView Traffic, ReplicaView[] Replicas);

public sealed record VersionView(
    string Model, int Version, string State, string StateReason, string Sha256, long SizeBytes, JsonNode? Config, int? Opset, string? Producer,
    LineageView? Lineage, DateTimeOffset CreatedAt, string CreatedBy, JsonNode? Validation);

public sealed record LineageView(int? Parent, JsonNode? Transform);

/// <summary>Version → percent: the policy in force (<see cref="Desired"/>) and what every replica routes by (<see cref="Observed"/>).</summary>
public sealed record TrafficView(
    string Model, Dictionary<string, int> Desired, Dictionary<string, int>? Observed, long? PolicyId, string? Reason, DateTimeOffset? UpdatedAt,
    string? UpdatedBy);

/// <summary>One inference replica and the state (<c>loading|ready|failed</c>) of each version it holds.</summary>
public sealed record ReplicaView(string Name, bool Ready, Dictionary<string, string> Versions);

public sealed record UploadedVersion(string Model, int Version, string Sha256, long SizeBytes, string State);

public sealed record TrafficChange(Dictionary<string, int> Weights, string Reason, bool Force);

public sealed record RollbackChange(string Reason);
