namespace AiFactory.Dashboard.Gateway;

// GET /api/admin/models/{model}/canary (snake_case), as the console reads it: one gateway's view of a model's versions.

public sealed record VersionSample(int Version, long Requests, long Errors, double RequestsPerSecond, double? ErrorRate, double? P50Ms, double? P95Ms);

public sealed record CanarySample(DateTimeOffset At, VersionSample[] Versions);

public sealed record JudgedVersion(int Version, long Requests, long Errors, double ErrorRate, double P95Ms);

public sealed record RollbackThresholds(bool Enabled, double WindowSeconds, int MinRequests, double ErrorRateMargin, double P95MarginRatio);

public sealed record CanaryReport(
    string Model, string Gateway, double IntervalSeconds, double WindowSeconds, long? PolicyId, Dictionary<string, int> Weights, int? Stable,
    RollbackThresholds AutoRollback, JudgedVersion[] Judged, CanarySample[] Samples);
