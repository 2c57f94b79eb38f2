using AiFactory.Gateway.Telemetry;
using StackExchange.Redis;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// Deletes the rate-limit buckets that have refilled (their key has been idle long enough), every
/// <see cref="Interval"/>: buckets carry no expiry (<see cref="RedisRateLimiter"/>), and a full bucket is worth
/// exactly as much as none, so this bounds them by the keys in use. Every replica sweeps; a sweep is idempotent.
/// It also forgets this replica's idle leases (<see cref="LeasedRateLimiter.PruneIdle"/>), with or without Redis.
/// </summary>
public sealed class RateLimitBucketSweeper(IConnectionMultiplexer redis, RedisFailureReporter redisFailures, LeasedRateLimiter leases) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private const int BatchSize = 500;

    // KEYS: buckets. Deletes each whose 'full' time (Redis clock, ms) has passed; the check and the delete are one
    // atomic step, so a bucket a request has just drawn from is never deleted. Returns how many were deleted.
    private const string DeleteRefilled = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local deleted = 0
        for _, key in ipairs(KEYS) do
          local full = tonumber(redis.call('HGET', key, 'full'))
          if full and full <= now then
            redis.call('DEL', key)
            deleted = deleted + 1
          end
        end
        return deleted
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                leases.PruneIdle(Interval);
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception e) when (RedisFailureReporter.IsRedisFailure(e))
                {
                    redisFailures.Report("rate-limit bucket sweep", e, $"Refilled buckets stay until the next sweep ({Interval})");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One sweep over every bucket; returns how many were deleted. Throws when Redis cannot be asked.</summary>
    public async Task<long> SweepAsync(CancellationToken cancellationToken)
    {
        var server = redis.GetServers().FirstOrDefault(candidate => candidate.IsConnected && !candidate.IsReplica)
                     ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "no connected Redis primary to sweep");
        var database = redis.GetDatabase();
        var batch = new List<RedisKey>(BatchSize);
        long deleted = 0;
        // SCAN, page by page: never one long blocking command over the whole keyspace.
        await foreach (var key in server.KeysAsync(database.Database, RedisRateLimiter.KeyPrefix + "*", BatchSize).WithCancellation(cancellationToken))
        {
            batch.Add(key);
            if (batch.Count == BatchSize)
            {
                deleted += await DeleteRefilledAsync(database, batch);
            }
        }

        return deleted + await DeleteRefilledAsync(database, batch);
    }

    private static async Task<long> DeleteRefilledAsync(IDatabase database, List<RedisKey> batch)
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        var deleted = (long)await database.ScriptEvaluateAsync(DeleteRefilled, [.. batch]);
        batch.Clear();
        return deleted;
    }
}
