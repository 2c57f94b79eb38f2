using AiFactory.Gateway.Telemetry;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// Whether this replica's rate limits are shared through Redis or, while Redis is unreachable, enforced by the
/// replica alone (<see cref="LocalRateLimiter"/>). Shown as <c>aifactory.gateway.ratelimit.degraded</c> (the
/// monitoring overlay alerts on it) and logged once per change.
/// </summary>
public sealed class RateLimitMode(LocalRateLimiter local, GatewayMetrics metrics, ILogger<RateLimitMode> logger)
{
    private int _local;

    public bool IsLocal => Volatile.Read(ref _local) == 1;

    public void RedisFailed(int replicas)
    {
        if (Interlocked.Exchange(ref _local, 1) == 0)
        {
            metrics.RateLimitDegraded(true);
            logger.LogWarning("Redis is unreachable: this gateway replica enforces its share (1/{Replicas}) of every key's rate limit alone until it answers again", replicas);
        }
    }

    public void RedisAnswered()
    {
        if (IsLocal && Interlocked.Exchange(ref _local, 0) == 1)
        {
            local.Clear();
            metrics.RateLimitDegraded(false);
            logger.LogInformation("Redis answers again: rate limits are shared by every gateway replica again");
        }
    }
}
