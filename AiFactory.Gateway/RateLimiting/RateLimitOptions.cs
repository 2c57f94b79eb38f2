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

    /// <summary>How often each replica tells Redis it is alive, and reads how many replicas are.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);
}
