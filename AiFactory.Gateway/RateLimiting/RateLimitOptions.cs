using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>Limits for keys that set none of their own, and how replicas share them while Redis cannot be asked.</summary>
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

    /// <summary>
    /// The fewest gateway replicas the local fallback divides each key's limits by while Redis is unreachable
    /// (<see cref="GatewayReplicas"/>): set it to the autoscaler's minimum, so that a replica that never heard the
    /// count from Redis still allows only its share.
    /// </summary>
    [Range(1, 10_000)]
    public int MinReplicas { get; set; } = 1;

    /// <summary>
    /// How long a replica keeps tokens it took from a key's shared bucket (<see cref="LeasedRateLimiter"/>), and how
    /// many it takes at once: the key's rate × this. The longer, the fewer round trips to Redis and the more a key may
    /// exceed its limit across replicas (at most its rate × this).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan LeasePeriod { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The most tokens a replica takes from a key's shared bucket at once; 1 takes one per request.</summary>
    [Range(1, 100_000)]
    public int MaxLeaseTokens { get; set; } = 64;

    /// <summary>How often each replica tells Redis it is alive, and reads how many replicas are.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);
}
