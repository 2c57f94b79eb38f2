namespace AiFactory.Gateway.Overview;

/// <summary>
/// One sample of the overview: the gateway's traffic over <c>[At - interval, At)</c> and the replicas' state at
/// <c>At</c>. A figure with nothing to measure (no request, no lookup, no execution) is null, never a made-up zero.
/// </summary>
public sealed record OverviewSample(
    DateTimeOffset At,
    double RequestsPerSecond,
    double? P50Ms,
    double? P95Ms,
    double? P99Ms,
    double? ErrorRate,
    double? CacheHitRatio,
    double? MeanBatchSize,
    long? QueueDepth);

/// <summary>A service's health as the gateway sees it.</summary>
public sealed record ServiceHealth(string Name, bool Healthy, string Detail);

/// <summary>
/// An inference replica: whether the gateway reaches it and routes to it, and what it reports of itself, the
/// execution providers it can use included.
/// </summary>
public sealed record ReplicaView(
    string Name, string Address, bool Reachable, bool? Ready, bool Routed, long? QueueDepth, IReadOnlyList<ReplicaModelView> Models, string? Error,
    IReadOnlyList<string>? Providers = null);

public sealed record ReplicaModelView(string Name, string Version, string State, string? Provider);

/// <summary><c>GET /api/admin/overview</c>: what the console's overview page shows, from one gateway.</summary>
public sealed record OverviewReport(
    string Gateway,
    double IntervalSeconds,
    double WindowSeconds,
    IReadOnlyList<ServiceHealth> Services,
    IReadOnlyList<ReplicaView> Replicas,
    IReadOnlyList<OverviewSample> Samples);
