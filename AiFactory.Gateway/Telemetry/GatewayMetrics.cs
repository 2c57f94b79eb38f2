using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AiFactory.Gateway.Telemetry;

/// <summary>The gateway's instruments (<c>aifactory.gateway.*</c>; DESIGN.md §2 Telemetry).</summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "AiFactory.Gateway";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _rateLimitRejections;
    private readonly Counter<long> _redisFailures;
    private readonly Counter<long> _usageRejections;
    private readonly Counter<long> _usageSetAside;
    private readonly Meter _meter;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("aifactory.gateway.requests", "{request}", "Requests answered, by route, status and API key.");
        _upstreamDuration = _meter.CreateHistogram("aifactory.gateway.upstream.duration", "s", "Time spent waiting for inference.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds });
        _cacheLookups = _meter.CreateCounter<long>("aifactory.gateway.cache.lookups", "{lookup}", "Response cache lookups, by result (hit, miss, error).");
        _rateLimitRejections = _meter.CreateCounter<long>("aifactory.gateway.ratelimit.rejections", "{request}", "Requests refused with 429, by reason (rate, concurrency).");
        _redisFailures = _meter.CreateCounter<long>("aifactory.gateway.redis.failures", "{failure}", "Redis calls that failed, by operation; the request was served without them.");
        _usageRejections = _meter.CreateCounter<long>("aifactory.gateway.usage.rejections", "{request}", "Keyed requests refused with 503 because the usage backlog was full.");
        _usageSetAside = _meter.CreateCounter<long>("aifactory.gateway.usage.set_aside", "{request}", "Requests in usage rows PostgreSQL refused to store; each row is logged and not written.");
    }

    public void Request(string route, int status, string? keyId) =>
        _requests.Add(1, new TagList { { "route", route }, { "status", status }, { "key", keyId ?? "anonymous" } });

    public void UpstreamDuration(TimeSpan duration, string route, int status) =>
        _upstreamDuration.Record(duration.TotalSeconds, new TagList { { "route", route }, { "status", status } });

    public void CacheLookup(string result) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", result));

    public void RateLimitRejection(string reason) => _rateLimitRejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RedisFailure(string operation) => _redisFailures.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void UsageRejection() => _usageRejections.Add(1);

    public void UsageSetAside(long requests) => _usageSetAside.Add(requests);

    /// <summary>The usage backlog (rows held in memory) and its limit, read at each collection.</summary>
    public void ObserveUsageBacklog(Func<int> rows, Func<int> limit)
    {
        _meter.CreateObservableGauge("aifactory.gateway.usage.backlog", rows, "{row}", "Usage rows held in memory, written or waiting to be written to PostgreSQL.");
        _meter.CreateObservableGauge("aifactory.gateway.usage.backlog.limit", limit, "{row}", "Gateway:Usage:MaxBacklogRows: at this backlog keyed requests are refused with 503.");
    }
}
