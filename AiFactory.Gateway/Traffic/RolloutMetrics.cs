using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiFactory.Gateway.Telemetry;

namespace AiFactory.Gateway.Traffic;

/// <summary>Per-version inference metrics and rollout events (<c>aifactory.gateway.model.*</c>, <c>aifactory.gateway.rollouts.*</c>).</summary>
public sealed class RolloutMetrics
{
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _autoRollbacks;

    public RolloutMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(GatewayMetrics.MeterName);
        _requests = meter.CreateCounter<long>("aifactory.gateway.model.requests", "{request}",
            "Inference requests by model, the version that answered, and outcome (success, client_error, server_error).");
        _duration = meter.CreateHistogram("aifactory.gateway.model.duration", "s",
            "Time from the traffic split to the answer, by model and the version that answered (cache hits included).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds });
        _autoRollbacks = meter.CreateCounter<long>("aifactory.gateway.rollouts.auto_rollbacks", "{rollback}",
            "Traffic policies this gateway rolled back because a canary did worse than the stable version.");
    }

    public void Request(string model, string version, string outcome, TimeSpan duration)
    {
        _requests.Add(1, new TagList { { "model", model }, { "version", version }, { "outcome", outcome } });
        _duration.Record(duration.TotalSeconds, new TagList { { "model", model }, { "version", version } });
    }

    public void AutoRollback(string model) => _autoRollbacks.Add(1, new KeyValuePair<string, object?>("model", model));
}

/// <summary>How an inference request ended, for the per-version metrics and the rollout window.</summary>
public static class RequestOutcome
{
    public const string Success = "success";
    public const string ClientError = "client_error";
    public const string ServerError = "server_error";

    /// <summary>From the HTTP status, or for gRPC from the status it ended with (a trailer, or a header when trailers-only).</summary>
    public static string Of(HttpContext context, bool isGrpc)
    {
        if (!isGrpc)
        {
            return context.Response.StatusCode switch
            {
                < 400 => Success,
                < 500 => ClientError,
                _ => ServerError,
            };
        }

        var status = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString() is { Length: > 0 } trailer
            ? trailer
            : context.Response.Headers["grpc-status"].ToString();
        return context.Response.StatusCode >= 500 ? ServerError : status switch
        {
            "" or "0" => context.Response.StatusCode < 400 ? Success : ClientError,
            // CANCELLED, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED,
            // FAILED_PRECONDITION, OUT_OF_RANGE, UNAUTHENTICATED: the caller's to fix.
            "1" or "3" or "5" or "6" or "7" or "8" or "9" or "11" or "16" => ClientError,
            _ => ServerError,
        };
    }
}
