using System.Globalization;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// Enforces each key's rate (across every gateway replica, through Redis, a lease of tokens at a time:
/// <see cref="LeasedRateLimiter"/>) and its concurrency (on this replica):
/// 429 with <c>Retry-After</c> past either. While Redis cannot be asked, each replica enforces its share of the key's
/// rate alone (<see cref="LocalRateLimiter"/>, <see cref="GatewayReplicas"/>): limits degrade, they never switch off.
/// </summary>
public sealed class RateLimitStep(
    LeasedRateLimiter limiter,
    LocalRateLimiter localLimiter,
    GatewayReplicas replicas,
    RateLimitMode mode,
    KeyConcurrencyLimiter concurrency,
    IOptions<RateLimitOptions> options,
    GatewayMetrics metrics,
    RedisFailureReporter redisFailures) : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.GetApiKey() is not { } key)
        {
            await next();
            return;
        }

        var settings = options.Value;
        var rate = key.RequestsPerSecond ?? settings.DefaultRequestsPerSecond;
        // A key with a rate but no burst may send one second's worth at once.
        var burst = key.Burst ?? (key.RequestsPerSecond is null ? settings.DefaultBurst : Math.Max(1, (int)Math.Ceiling(rate)));
        RateLimitDecision decision;
        int? localShareOf = null;
        try
        {
            decision = await limiter.TryAcquireAsync(key.Id, rate, burst);
            mode.RedisAnswered();
        }
        catch (Exception e) when (RedisFailureReporter.IsRedisFailure(e))
        {
            localShareOf = replicas.Count;
            redisFailures.Report("rate limiting", e, $"Each gateway replica enforces its share (1/{localShareOf}) of every key's rate limit");
            mode.RedisFailed(localShareOf.Value);
            decision = localLimiter.TryAcquire(key.Id, rate, burst, localShareOf.Value);
        }

        if (!decision.Allowed)
        {
            metrics.RateLimitRejection("rate");
            var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await GatewayErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests,
                $"the API key's rate limit of {rate.ToString(CultureInfo.InvariantCulture)} requests per second (burst {burst}) is exceeded; retry after {seconds} s"
                + (localShareOf is { } shareOf ? LocalShareNote(rate, burst, shareOf) : ""));
            return;
        }

        var limit = key.MaxConcurrency ?? settings.DefaultMaxConcurrency;
        if (!concurrency.TryEnter(key.Id, limit))
        {
            metrics.RateLimitRejection("concurrency");
            context.Response.Headers.RetryAfter = "1";
            await GatewayErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests,
                $"the API key's concurrency limit of {limit} requests in flight is reached");
            return;
        }

        try
        {
            await next();
        }
        finally
        {
            concurrency.Exit(key.Id);
        }
    }

    private static string LocalShareNote(double rate, int burst, int replicas)
    {
        var (shareRate, shareBurst) = LocalRateLimiter.Share(rate, burst, replicas);
        return $" (Redis is unavailable: this gateway replica allows its share of {replicas} replicas, {Format(shareRate)} requests per second, burst {Format(shareBurst)})";
    }

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
