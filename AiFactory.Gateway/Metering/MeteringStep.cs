using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;

namespace AiFactory.Gateway.Metering;

/// <summary>
/// The first step after authentication, so it sees every outcome below it (413, 429, cache hits, upstream errors):
/// counts each request in the usage meter (keyed requests) and the requests metric (all).
/// </summary>
public sealed class MeteringStep(UsageMeter meter, GatewayMetrics metrics) : IProxyStep
{
    /// <summary>Set by inference on every inference response (REST and gRPC): the model and version that answered.</summary>
    public const string ModelVersionHeader = "x-aifactory-model-version";
    public const string ModelNameHeader = "x-aifactory-model";

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        finally
        {
            var status = context.RequestAborted.IsCancellationRequested ? 499 : context.Response.StatusCode;
            var key = context.GetApiKey();
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
