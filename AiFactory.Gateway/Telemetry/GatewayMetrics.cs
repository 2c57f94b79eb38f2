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
    private readonly Counter<long> _keyLookups;
    private readonly Histogram<double> _authenticationDuration;
    private int _rateLimitDegraded;
    private int _rateLimitReplicas;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("aifactory.gateway.requests", "{request}", "Requests answered, by route, status and API key.");
        _upstreamDuration = meter.CreateHistogram("aifactory.gateway.upstream.duration", "s", "Time spent waiting for inference.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds });
        _cacheLookups = meter.CreateCounter<long>("aifactory.gateway.cache.lookups", "{lookup}", "Response cache lookups, by result (hit, miss, error).");
        _rateLimitRejections = meter.CreateCounter<long>("aifactory.gateway.ratelimit.rejections", "{request}",
            "Requests refused with 429, by reason (rate, concurrency, authentication: the client address failed to authenticate too often).");
        _redisFailures = meter.CreateCounter<long>("aifactory.gateway.redis.failures", "{failure}", "Redis calls that failed, by operation; the request was served without them.");
        _authenticationDuration = meter.CreateHistogram("aifactory.gateway.authentication.duration", "s",
            "Time to authenticate a presented API key, by outcome (valid, unknown, revoked, unavailable, throttled).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds });
        _keyLookups = meter.CreateCounter<long>("aifactory.gateway.apikey.lookups", "{lookup}",
            "API key store (PostgreSQL) lookups, by result (found, unknown, error); a key or unknown id the gateway remembers costs none.");
        meter.CreateObservableGauge("aifactory.gateway.ratelimit.degraded", () => Volatile.Read(ref _rateLimitDegraded), unit: null,
            "1 while Redis is unreachable and this replica enforces its share of every key's rate limit alone; 0 while limits are shared through Redis.");
        meter.CreateObservableGauge("aifactory.gateway.ratelimit.replicas", () => Volatile.Read(ref _rateLimitReplicas), "{replica}",
            "Gateway replicas this replica last heard share the rate limits: while Redis is unreachable it allows each key's limits divided by this.");
    }

    public void Request(string route, int status, string? keyId) =>
        _requests.Add(1, new TagList { { "route", route }, { "status", status }, { "key", keyId ?? "anonymous" } });

    public void UpstreamDuration(TimeSpan duration, string route, int status) =>
        _upstreamDuration.Record(duration.TotalSeconds, new TagList { { "route", route }, { "status", status } });

    public void CacheLookup(string result) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", result));

    public void RateLimitRejection(string reason) => _rateLimitRejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RedisFailure(string operation) => _redisFailures.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void AuthenticationDuration(TimeSpan duration, string outcome) =>
        _authenticationDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    public void KeyLookup(string result) => _keyLookups.Add(1, new KeyValuePair<string, object?>("result", result));

    public void RateLimitDegraded(bool degraded) => Volatile.Write(ref _rateLimitDegraded, degraded ? 1 : 0);

    public void RateLimitReplicas(int replicas) => Volatile.Write(ref _rateLimitReplicas, replicas);
}
