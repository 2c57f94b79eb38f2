using System.Globalization;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// Enforces each key's rate (across every gateway replica, through Redis) and its concurrency (on this replica):
/// 429 with <c>Retry-After</c> past either. While Redis cannot be asked, requests pass unlimited
/// (<see cref="RateLimitOptions.FailOpen"/>) or get 503.
/// </summary>
public sealed class RateLimitStep(
    RedisRateLimiter limiter,
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
        try
        {
            decision = await limiter.TryAcquireAsync(key.Id, rate, burst);
        }
        catch (Exception e) when (RedisFailureReporter.IsRedisFailure(e))
        {
            redisFailures.Report("rate limiting", e, settings.FailOpen ? "Requests are served without rate limits" : "Requests are refused with 503");
            if (!settings.FailOpen)
            {
                await GatewayErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "rate limits cannot be checked now: Redis is unavailable");
                return;
            }

            decision = new RateLimitDecision(true, TimeSpan.Zero);
        }

        if (!decision.Allowed)
        {
            metrics.RateLimitRejection("rate");
            var seconds = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await GatewayErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests,
                $"the API key's rate limit of {rate.ToString(CultureInfo.InvariantCulture)} requests per second (burst {burst}) is exceeded; retry after {seconds} s");
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
}
