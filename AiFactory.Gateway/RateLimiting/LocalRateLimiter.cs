using System.Collections.Concurrent;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// Rate limits while Redis cannot be asked: each key gets a <see cref="TokenBucket"/> in this replica with its share
/// of the key's limits (rate ÷ replicas, burst ÷ replicas but at least 1), so that the replicas together stay near
/// the key's limit instead of switching it off. The buckets hold only authenticated keys and live only as long as
/// the outage: <see cref="RateLimitMode"/> clears them when Redis answers again.
/// </summary>
public sealed class LocalRateLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new();

    /// <summary>This replica's share of a key's limits among <paramref name="replicas"/> replicas.</summary>
    public static (double RatePerSecond, double Burst) Share(double requestsPerSecond, int burst, int replicas) =>
        (requestsPerSecond / replicas, Math.Max(1, (double)burst / replicas));

    public RateLimitDecision TryAcquire(string keyId, double requestsPerSecond, int burst, int replicas)
    {
        var (rate, share) = Share(requestsPerSecond, burst, replicas);
        var bucket = _buckets.GetOrAdd(keyId, _ => new TokenBucket(rate, share, time));
        // The replica count (or the key) changed during the outage: start over at the new share.
        if (bucket.RatePerSecond != rate || bucket.Burst != share)
        {
            bucket = _buckets[keyId] = new TokenBucket(rate, share, time);
        }

        return bucket.TryTake();
    }

    public void Clear() => _buckets.Clear();
}
