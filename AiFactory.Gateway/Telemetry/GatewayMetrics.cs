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

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("aifactory.gateway.requests", "{request}", "Requests answered, by route, status and API key.");
        _upstreamDuration = meter.CreateHistogram("aifactory.gateway.upstream.duration", "s", "Time spent waiting for inference.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds });
        _cacheLookups = meter.CreateCounter<long>("aifactory.gateway.cache.lookups", "{lookup}", "Response cache lookups, by result (hit, miss, error).");
        _rateLimitRejections = meter.CreateCounter<long>("aifactory.gateway.ratelimit.rejections", "{request}", "Requests refused with 429, by reason (rate, concurrency).");
        _redisFailures = meter.CreateCounter<long>("aifactory.gateway.redis.failures", "{failure}", "Redis calls that failed, by operation; the request was served without them.");
    }

    public void Request(string route, int status, string? keyId) =>
        _requests.Add(1, new TagList { { "route", route }, { "status", status }, { "key", keyId ?? "anonymous" } });

    public void UpstreamDuration(TimeSpan duration, string route, int status) =>
        _upstreamDuration.Record(duration.TotalSeconds, new TagList { { "route", route }, { "status", status } });

    public void CacheLookup(string result) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", result));

    public void RateLimitRejection(string reason) => _rateLimitRejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RedisFailure(string operation) => _redisFailures.Add(1, new KeyValuePair<string, object?>("operation", operation));
}
