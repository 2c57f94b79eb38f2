using StackExchange.Redis;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>What the rate limiter decided for one request.</summary>
/// <param name="RetryAfter">When refused: how long until a request would be allowed.</param>
public readonly record struct RateLimitDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>Tokens taken from a key's shared bucket at once; none when it is empty, with how long until one refills.</summary>
public readonly record struct TokenGrant(int Tokens, TimeSpan RetryAfter);

/// <summary>
/// A token bucket per key in Redis, shared by every gateway replica: one atomic script refills the bucket by the time
/// passed (Redis's own clock, so replicas' clocks do not matter), takes back the tokens a replica did not use and
/// takes the tokens it asks for (as many as there are, up to that). Replicas take tokens a few at a time
/// (<see cref="LeasedRateLimiter"/>), so the script runs once per lease, not once per request. Tokens taken from the
/// bucket in any period t are at most <c>rate × t + burst</c>.
/// </summary>
/// <remarks>
/// Buckets carry no expiry, on purpose: Redis runs with <c>maxmemory-policy volatile-lru</c> (the AppHost and the
/// manifests set it), which evicts only keys that have an expiry, and every response-cache entry has one. So a Redis
/// full of cached answers evicts answers, never a bucket (an evicted bucket would hand its key a fresh burst).
/// Buckets exist only for authenticated keys, one small hash each; <see cref="RateLimitBucketSweeper"/> deletes the
/// ones that have refilled, which are worth exactly as much as no bucket.
/// </remarks>
public sealed class RedisRateLimiter(IConnectionMultiplexer redis) : ITokenSource
{
    public const string KeyPrefix = "aifactory:ratelimit:";

    // KEYS[1] bucket; ARGV[1] rate per second, ARGV[2] burst, ARGV[3] tokens wanted, ARGV[4] unused tokens given back.
    // Returns {tokens granted, retry-after in ms when none}.
    // 'full' is when (Redis time, ms) the bucket will have refilled, for the sweeper.
    private const string TakeTokenScript = """
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1]) or burst
        local at = tonumber(state[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000 + tonumber(ARGV[4]))
        local granted = math.min(tonumber(ARGV[3]), math.floor(tokens))
        local retry = 0
        if granted >= 1 then
          tokens = tokens - granted
        else
          granted = 0
          retry = math.ceil((1 - tokens) * 1000 / rate)
        end
        local full = now + math.ceil((burst - tokens) * 1000 / rate)
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now, 'full', full)
        return {granted, retry}
        """;

    public static RedisKey BucketOf(string keyId) => new(KeyPrefix + keyId);

    /// <summary>
    /// Gives back <paramref name="unused"/> tokens and takes up to <paramref name="wanted"/> from
    /// <paramref name="keyId"/>'s bucket. Throws when Redis cannot be asked.
    /// </summary>
    public async Task<TokenGrant> TakeAsync(string keyId, double requestsPerSecond, int burst, int wanted, int unused)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
            TakeTokenScript, [BucketOf(keyId)], [requestsPerSecond, burst, wanted, unused]))!;
        return new TokenGrant((int)(long)result[0], TimeSpan.FromMilliseconds((long)result[1]));
    }
}
