using System.Collections.Concurrent;
using StackExchange.Redis;

namespace AiFactory.Gateway.Telemetry;

/// <summary>
/// Counts every failed Redis call and logs it at most once per interval and operation: while Redis is down every
/// request fails to reach it, and one line per request would drown the log.
/// </summary>
public sealed class RedisFailureReporter(GatewayMetrics metrics, ILogger<RedisFailureReporter> logger, TimeProvider time)
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(30);

    /// <summary>What a Redis call throws when Redis cannot be asked (down, slow, or the client shut down).</summary>
    public static bool IsRedisFailure(Exception exception) =>
        exception is RedisException or TimeoutException or ObjectDisposedException;

    private readonly ConcurrentDictionary<string, long> _lastLogged = new();

    public void Report(string operation, Exception exception, string consequence)
    {
        metrics.RedisFailure(operation);
        var now = time.GetTimestamp();
        var last = _lastLogged.GetOrAdd(operation, 0);
        if ((last == 0 || time.GetElapsedTime(last, now) >= LogInterval) && _lastLogged.TryUpdate(operation, now, last))
        {
            logger.LogWarning("Redis failed during {Operation}: {Reason}. {Consequence} (logged at most every {Interval}; see metric aifactory.gateway.redis.failures)",
                operation, exception.Message, consequence, LogInterval);
        }
    }
}
