using Yarp.ReverseProxy.Model;

namespace AiFactory.Gateway.Routing;

/// <summary>One step of the gateway's proxy pipeline (between authentication and forwarding).</summary>
public interface IProxyStep
{
    Task InvokeAsync(HttpContext context, Func<Task> next);
}

public static class ProxyStepExtensions
{
    /// <summary>Adds the registered <typeparamref name="TStep"/> to the proxy pipeline.</summary>
    public static IReverseProxyApplicationBuilder UseStep<TStep>(this IReverseProxyApplicationBuilder proxy) where TStep : IProxyStep
    {
        var step = proxy.ApplicationServices.GetRequiredService<TStep>();
        proxy.Use(step.InvokeAsync);
        return proxy;
    }

    /// <summary>The YARP route that matched, for metrics ("oip", "oip-health", ...).</summary>
    public static string RouteId(this HttpContext context) =>
        context.Features.Get<IReverseProxyFeature>()?.Route.Config.RouteId ?? "unknown";
}
