namespace AiFactory.Gateway.Registry;

/// <summary>A model version as stored. JSON columns stay JSON text; <see cref="Report"/> is its validation report, once there is one.</summary>
public sealed record VersionRecord(
    string Model, int Version, string Sha256, long SizeBytes, string StorageKey, string Config, string? Signature, int? Opset,
    string? Producer, int? ParentVersion, string? Transform, string State, string StateReason, DateTimeOffset CreatedAt, string CreatedBy,
    string? Report, string? LabelledSet = null);

/// <summary>A traffic policy: percent per version (ascending), the policy a rollback returns to, and who set it why.</summary>
public sealed record PolicyRecord(
    long Id, string Model, IReadOnlyDictionary<int, int> Weights, long? ParentId, string Kind, string Reason, string CreatedBy, DateTimeOffset CreatedAt)
{
    /// <summary>The version taking most of the traffic (ties: the older); null when no version has any.</summary>
    public int? Stable => Weights.Where(weight => weight.Value > 0).OrderByDescending(weight => weight.Value).ThenBy(weight => weight.Key)
        .Select(weight => (int?)weight.Key).FirstOrDefault();
}

/// <summary>A model with its versions (ascending) and the traffic policy in force, if any.</summary>
public sealed record ModelRecord(string Name, DateTimeOffset CreatedAt, string CreatedBy, IReadOnlyList<VersionRecord> Versions, PolicyRecord? Policy);

/// <summary>A version a gateway has claimed for validation, and the version to compare it with (the one taking traffic).</summary>
public sealed record ValidationClaim(VersionRecord Candidate, VersionRecord? Reference);

/// <summary>What validation decided: the state, its reason, the report and what the report says about the file.</summary>
public sealed record ValidationOutcome(string State, string Reason, string Report, string? Signature, int? Opset, string? Producer);

/// <summary>Version states (table <c>model_versions</c>).</summary>
public static class VersionStates
{
    public const string Validating = "validating";
    public const string Ready = "ready";
    public const string Invalid = "invalid";
}
