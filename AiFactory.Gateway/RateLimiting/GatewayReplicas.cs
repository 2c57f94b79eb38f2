using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// How many gateway replicas share each key's rate limit, so that the local fallback can give each replica its
/// share. Every <see cref="RateLimitOptions.HeartbeatInterval"/> each replica puts itself into a Redis sorted set
/// (member: this process, score: Redis's clock) and counts the replicas heard from within three intervals; one that
/// stops gracefully takes itself out. While Redis is down the count last heard stays: replicas rarely change during
/// an outage, and nothing better is known. Never below <see cref="RateLimitOptions.MinReplicas"/>.
/// </summary>
/// <remarks>
/// The heartbeat also notices Redis leaving and coming back when no request does, so the degraded metric is right
/// on an idle gateway. The set carries no expiry (it must not be evicted, see <see cref="RedisRateLimiter"/>); each
/// heartbeat removes the replicas not heard from, so it holds the live replicas and a few that just left.
/// </remarks>
public sealed class GatewayReplicas(
    IConnectionMultiplexer redis,
    RateLimitMode mode,
    IOptions<RateLimitOptions> options,
    GatewayMetrics metrics,
    RedisFailureReporter redisFailures) : BackgroundService
{
    public const string Key = "aifactory:gateway:replicas";

    // KEYS[1] the set; ARGV[1] this replica, ARGV[2] how long (ms) a replica counts after its last heartbeat.
    private const string Heartbeat = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        redis.call('ZADD', KEYS[1], now, ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
        return redis.call('ZCARD', KEYS[1])
        """;

    private readonly string _member = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private int _heard;

    /// <summary>The replicas to divide each key's limits by.</summary>
    public int Count => Math.Max(Volatile.Read(ref _heard), options.Value.MinReplicas);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.HeartbeatInterval;
        metrics.RateLimitReplicas(Count);
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                var heard = (long)await redis.GetDatabase().ScriptEvaluateAsync(Heartbeat, [Key], [_member, (long)(3 * interval.TotalMilliseconds)]);
                Volatile.Write(ref _heard, (int)heard);
                metrics.RateLimitReplicas(Count);
                mode.RedisAnswered();
            }
            catch (Exception e) when (RedisFailureReporter.IsRedisFailure(e))
            {
                redisFailures.Report("replica heartbeat", e, $"Rate limits are enforced per replica, as if {Count} replicas shared them");
                mode.RedisFailed(Count);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await redis.GetDatabase().SortedSetRemoveAsync(Key, _member).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception e) when (RedisFailureReporter.IsRedisFailure(e) || e is OperationCanceledException)
        {
            // The others stop counting this replica within three heartbeats anyway.
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
