using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Metering;

public sealed class UsageOptions
{
    public const string SectionName = "Gateway:Usage";

    /// <summary>How often usage counted in memory is added to PostgreSQL; also flushed at graceful shutdown.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows written in one statement (one batch, one id); a flush writes as many batches as it needs.</summary>
    [Range(1, 100_000)]
    public int BatchRows { get; set; } = 1_000;

    /// <summary>
    /// Usage rows a gateway may hold in memory while they cannot be written. At this many, keyed requests are refused
    /// with 503 until a flush succeeds: nothing is served that could not be counted.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxBacklogRows { get; set; } = 100_000;
}
