using StackExchange.Redis;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>What the rate limiter decided for one request.</summary>
/// <param name="RetryAfter">When refused: how long until a request would be allowed.</param>
public readonly record struct RateLimitDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>
/// A token bucket per key in Redis, shared by every gateway replica: one atomic script per request refills the
/// bucket by the time passed (Redis's own clock, so replicas' clocks do not matter) and takes a token.
/// A key sending faster than its rate gets at most <c>rate × t + burst</c> requests through in any period t.
/// </summary>
/// <remarks>
/// Buckets carry no expiry, on purpose: Redis runs with <c>maxmemory-policy volatile-lru</c> (the AppHost and the
/// manifests set it), which evicts only keys that have an expiry, and every response-cache entry has one. So a Redis
/// full of cached answers evicts answers, never a bucket (an evicted bucket would hand its key a fresh burst).
/// Buckets exist only for authenticated keys, one small hash each; <see cref="RateLimitBucketSweeper"/> deletes the
/// ones that have refilled, which are worth exactly as much as no bucket.
/// </remarks>
public sealed class RedisRateLimiter(IConnectionMultiplexer redis)
{
    public const string KeyPrefix = "aifactory:ratelimit:";

    // KEYS[1] bucket; ARGV[1] rate per second, ARGV[2] burst. Returns {allowed, retry-after in ms}.
    // 'full' is when (Redis time, ms) the bucket will have refilled, for the sweeper.
    private const string TakeTokenScript = """
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1]) or burst
        local at = tonumber(state[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
        local allowed = 0
        local retry = 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          retry = math.ceil((1 - tokens) * 1000 / rate)
        end
        local full = now + math.ceil((burst - tokens) * 1000 / rate)
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now, 'full', full)
        return {allowed, retry}
        """;

    public static RedisKey BucketOf(string keyId) => new(KeyPrefix + keyId);

    /// <summary>Takes one request from <paramref name="keyId"/>'s bucket. Throws when Redis cannot be asked.</summary>
    public async Task<RateLimitDecision> TryAcquireAsync(string keyId, double requestsPerSecond, int burst)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
            TakeTokenScript, [BucketOf(keyId)], [requestsPerSecond, burst]))!;
        return new RateLimitDecision((long)result[0] == 1, TimeSpan.FromMilliseconds((long)result[1]));
    }
}
