using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Metering;

public sealed class UsageOptions
{
    public const string SectionName = "Gateway:Usage";

    /// <summary>How often usage counted in memory is added to PostgreSQL; also flushed at graceful shutdown.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);
}
