namespace AiFactory.Gateway.Canary;

/// <summary>
/// One version over one sample interval: the requests the split sent it and the server errors among them, as counts and
/// as rates, with the median and 95th percentile latency. A figure with nothing to measure is null, never zero.
/// </summary>
public sealed record VersionSample(int Version, long Requests, long Errors, double RequestsPerSecond, double? ErrorRate, double? P50Ms, double? P95Ms);

/// <summary>Every version of a model over the interval ending <see cref="At"/>.</summary>
public sealed record CanarySample(DateTimeOffset At, IReadOnlyList<VersionSample> Versions);

/// <summary>What the automatic rollback compares now, per version, over its own window (this gateway's).</summary>
public sealed record JudgedVersion(int Version, long Requests, long Errors, double ErrorRate, double P95Ms);

/// <summary>When the automatic rollback acts (<c>Registry:AutoRollback</c>), as the console shows it beside the charts.</summary>
public sealed record RollbackThresholds(bool Enabled, double WindowSeconds, int MinRequests, double ErrorRateMargin, double P95MarginRatio);

/// <summary>
/// <c>GET /api/admin/models/{model}/canary</c>: the model's versions side by side, from this gateway only (<see cref="Gateway"/>):
/// each gateway replica counts what it routed itself, as each judges its own canaries.
/// </summary>
public sealed record CanaryReport(
    string Model,
    string Gateway,
    double IntervalSeconds,
    double WindowSeconds,
    long? PolicyId,
    IReadOnlyDictionary<string, int> Weights,
    int? Stable,
    RollbackThresholds AutoRollback,
    IReadOnlyList<JudgedVersion> Judged,
    IReadOnlyList<CanarySample> Samples);
