using System.Globalization;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Metering;

/// <summary>
/// The first step after authentication, so it sees every outcome below it (413, 429, cache hits, upstream errors):
/// counts each request in the usage meter (keyed requests) and the requests metric (all). While the meter's backlog
/// is full (PostgreSQL has not taken usage for a while), keyed requests are refused with 503 before they are served:
/// the gateway serves nothing it cannot count.
/// </summary>
public sealed class MeteringStep(UsageMeter meter, GatewayMetrics metrics, IOptions<UsageOptions> options) : IProxyStep
{
    /// <summary>Set by inference on every inference response (REST and gRPC): the model and version that answered.</summary>
    public const string ModelVersionHeader = "x-aifactory-model-version";
    public const string ModelNameHeader = "x-aifactory-model";

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var key = context.GetApiKey();
        if (key is not null && meter.IsFull)
        {
            metrics.UsageRejection();
            context.Response.Headers.RetryAfter = Math.Ceiling(options.Value.FlushInterval.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await GatewayErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "usage cannot be recorded now: this gateway holds as much unwritten usage as it may (the usage database is not taking it); try again later");
            metrics.Request(context.RouteId(), StatusCodes.Status503ServiceUnavailable, key.Id);
            return;
        }

        try
        {
            await next();
        }
        finally
        {
            var status = context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode;
            metrics.Request(context.RouteId(), status, key?.Id);
            if (key is not null)
            {
                var target = OipTarget.Of(context);
                // A request refused for what it addresses named no valid model. A gRPC call names its model inside the
                // message, which the gateway reads only for keys with an allow-list; otherwise inference names it.
                var model = target is null ? ModelName.InvalidBucket : target.Model ?? context.Response.Headers[ModelNameHeader].ToString();
                var version = context.Response.Headers[ModelVersionHeader].ToString() is { Length: > 0 } served ? served : target?.Version ?? "";
                meter.Record(key.Id, model, version, status);
            }
        }
    }
}
