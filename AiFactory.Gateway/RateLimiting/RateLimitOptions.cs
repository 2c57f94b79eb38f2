using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>Limits for keys that set none of their own, and what to do when Redis cannot be asked.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Gateway:RateLimits";

    /// <summary>Requests per second a key may send when it has no rate of its own.</summary>
    [Range(0.001, 1_000_000)]
    public double DefaultRequestsPerSecond { get; set; } = 1000;

    /// <summary>Requests a key may send at once above its rate (the token bucket's size) when it has no burst of its own.</summary>
    [Range(1, 1_000_000)]
    public int DefaultBurst { get; set; } = 2000;

    /// <summary>Requests of one key in flight at once on one gateway replica, when the key sets no limit.</summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxConcurrency { get; set; } = 256;

    /// <summary>Serve requests unlimited while Redis is unreachable (true), or refuse them with 503 (false).</summary>
    public bool FailOpen { get; set; } = true;
}
