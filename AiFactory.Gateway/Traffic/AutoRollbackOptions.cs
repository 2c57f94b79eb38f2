using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// When a canary is rolled back without anyone asking (section <c>Registry:AutoRollback</c>): over the last
/// <see cref="Window"/>, with at least <see cref="MinRequests"/> requests on the canary and on the stable version, the
/// canary's error rate exceeds the stable version's by more than <see cref="ErrorRateMargin"/>, or its p95 latency is
/// more than <see cref="P95MarginRatio"/> times the stable version's.
/// </summary>
public sealed class AutoRollbackOptions
{
    public const string SectionName = "Registry:AutoRollback";

    public bool Enabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(60);

    [Range(1, int.MaxValue)]
    public int MinRequests { get; set; } = 50;

    /// <summary>Absolute: 0.05 rolls back a canary failing 6 % of its requests beside a stable version failing 0.5 %.</summary>
    [Range(0.0, 1.0)]
    public double ErrorRateMargin { get; set; } = 0.05;

    [Range(1.0, 1000.0)]
    public double P95MarginRatio { get; set; } = 1.5;

    /// <summary>How often each gateway compares what it saw.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(5);
}
