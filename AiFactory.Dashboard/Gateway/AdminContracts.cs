using System.Text.Json.Nodes;

namespace AiFactory.Dashboard.Gateway;

// The admin API's wire contract (snake_case), as the console reads it.

public sealed record Caller(string Id, string Name, string[] Scopes);

public sealed record KeyView(
    string Id, string Name, string[] Scopes, string[]? Models, double? RequestsPerSecond, int? Burst, int? MaxConcurrency,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record NewKey(string Name, string[] Scopes, string[]? Models, double? RequestsPerSecond, int? Burst, int? MaxConcurrency);

public sealed record CreatedKey(string Key, KeyView Details);

public sealed record UsageRow(string KeyId, string Model, string Version, int Status, long Requests);

public sealed record UsageReport(DateTime From, DateTime To, long TotalRequests, UsageRow[] Rows);

public sealed record OverviewSample(
    DateTimeOffset At, double RequestsPerSecond, double? P50Ms, double? P95Ms, double? P99Ms, double? ErrorRate, double? CacheHitRatio,
    double? MeanBatchSize, long? QueueDepth);

public sealed record ServiceHealth(string Name, bool Healthy, string Detail);

public sealed record ReplicaModel(string Name, string Version, string State, string? Provider);

public sealed record Replica(string Name, string Address, bool Reachable, bool? Ready, bool Routed, long? QueueDepth, ReplicaModel[] Models, string? Error);

public sealed record OverviewReport(string Gateway, double IntervalSeconds, double WindowSeconds, ServiceHealth[] Services, Replica[] Replicas, OverviewSample[] Samples);

/// <summary>One audit entry (registry contract): who (key id), what, on which model version, before/after, why, when.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string KeyId, string Action, string? Model, int? Version, JsonNode? Before, JsonNode? After, string? Reason);

public sealed record AuditQuery(string? Model, string? KeyId, DateTimeOffset? From, DateTimeOffset? To, int Limit = 200);
