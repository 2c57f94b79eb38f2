using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Caching;

public sealed class ResponseCacheOptions
{
    public const string SectionName = "Gateway:ResponseCache";

    public bool Enabled { get; set; } = true;

    /// <summary>How long an answer stays in Redis.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest response kept; larger ones are served and not cached.</summary>
    [Range(1, 512L * 1024 * 1024)]
    public long MaxEntryBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// Largest request body the cache looks at (it must read the whole body to hash it). Larger requests stream
    /// straight through, uncached.
    /// </summary>
    [Range(1, 512L * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 16L * 1024 * 1024;
}
