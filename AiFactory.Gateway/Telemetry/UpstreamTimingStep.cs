using System.Diagnostics;
using AiFactory.Gateway.Routing;

namespace AiFactory.Gateway.Telemetry;

/// <summary>The last step before forwarding: times what inference takes (<c>aifactory.gateway.upstream.duration</c>).</summary>
public sealed class UpstreamTimingStep(GatewayMetrics metrics) : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next();
        }
        finally
        {
            metrics.UpstreamDuration(Stopwatch.GetElapsedTime(start), context.RouteId(), context.Response.StatusCode);
        }
    }
}
