using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AiFactory.Gateway.Telemetry;

/// <summary>The gateway's instruments (<c>aifactory.gateway.*</c>; DESIGN.md §2 Telemetry).</summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "AiFactory.Gateway";
    public const string RequestDurationInstrument = "aifactory.gateway.request.duration";
    public const string CacheLookupsInstrument = "aifactory.gateway.cache.lookups";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _rateLimitRejections;
    private readonly Counter<long> _redisFailures;
    private readonly Counter<long> _keyLookups;
    private readonly Histogram<double> _authenticationDuration;
    private int _rateLimitDegraded;
    private int _rateLimitReplicas;
    private readonly Counter<long> _usageRejections;
    private readonly Counter<long> _usageSetAside;
    private readonly Meter _meter;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("aifactory.gateway.requests", "{request}", "Requests answered, by route, status and API key.");
        _requestDuration = _meter.CreateHistogram(RequestDurationInstrument, "s",
            "Time from a proxied request's arrival at the gateway to its answer, cache hits and refusals included, by route and status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds });
        _upstreamDuration = _meter.CreateHistogram("aifactory.gateway.upstream.duration", "s", "Time spent waiting for inference.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds });
        _cacheLookups = _meter.CreateCounter<long>(CacheLookupsInstrument, "{lookup}", "Response cache lookups, by result (hit, miss, error).");
        _rateLimitRejections = _meter.CreateCounter<long>("aifactory.gateway.ratelimit.rejections", "{request}",
            "Requests refused with 429, by reason (rate, concurrency, authentication: the client address failed to authenticate too often).");
        _redisFailures = _meter.CreateCounter<long>("aifactory.gateway.redis.failures", "{failure}", "Redis calls that failed, by operation; the request was served without them.");
        _authenticationDuration = _meter.CreateHistogram("aifactory.gateway.authentication.duration", "s",
            "Time to authenticate a presented API key, by outcome (valid, unknown, revoked, unavailable, throttled).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds });
        _keyLookups = _meter.CreateCounter<long>("aifactory.gateway.apikey.lookups", "{lookup}",
            "API key store (PostgreSQL) lookups, by result (found, unknown, error); a key or unknown id the gateway remembers costs none.");
        _meter.CreateObservableGauge("aifactory.gateway.ratelimit.degraded", () => Volatile.Read(ref _rateLimitDegraded), unit: null,
            "1 while Redis is unreachable and this replica enforces its share of every key's rate limit alone; 0 while limits are shared through Redis.");
        _meter.CreateObservableGauge("aifactory.gateway.ratelimit.replicas", () => Volatile.Read(ref _rateLimitReplicas), "{replica}",
            "Gateway replicas this replica last heard share the rate limits: while Redis is unreachable it allows each key's limits divided by this.");
        _usageRejections = _meter.CreateCounter<long>("aifactory.gateway.usage.rejections", "{request}", "Keyed requests refused with 503 because the usage backlog was full.");
        _usageSetAside = _meter.CreateCounter<long>("aifactory.gateway.usage.set_aside", "{request}", "Requests in usage rows PostgreSQL refused to store; each row is logged and not written.");
    }

    public void Request(string route, int status, string? keyId) =>
        _requests.Add(1, new TagList { { "route", route }, { "status", status }, { "key", keyId ?? "anonymous" } });

    public void RequestDuration(TimeSpan duration, string route, int status) =>
        _requestDuration.Record(duration.TotalSeconds, new TagList { { "route", route }, { "status", status } });

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

    public void UsageRejection() => _usageRejections.Add(1);

    public void UsageSetAside(long requests) => _usageSetAside.Add(requests);

    /// <summary>The usage backlog (rows held in memory) and its limit, read at each collection.</summary>
    public void ObserveUsageBacklog(Func<int> rows, Func<int> limit)
    {
        _meter.CreateObservableGauge("aifactory.gateway.usage.backlog", rows, "{row}", "Usage rows held in memory, written or waiting to be written to PostgreSQL.");
        _meter.CreateObservableGauge("aifactory.gateway.usage.backlog.limit", limit, "{row}", "Gateway:Usage:MaxBacklogRows: at this backlog keyed requests are refused with 503.");
    }
}
