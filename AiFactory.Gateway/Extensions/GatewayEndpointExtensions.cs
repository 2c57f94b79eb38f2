using AiFactory.Gateway.Routing;

namespace AiFactory.Gateway.Extensions;

public static class GatewayEndpointExtensions
{
    /// <summary>
    /// Maps the OIP REST and gRPC routes to the inference replicas. The pipeline is YARP's default one
    /// (load balancing, then passive health) with the gateway's own steps around it.
    /// </summary>
    public static IEndpointRouteBuilder MapInferenceProxy(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapReverseProxy(proxy =>
        {
            proxy.Use(RequestBodyLimit.EnforceAsync);
            proxy.Use(UpstreamErrors.WriteProtocolErrorAsync);
            // Before load balancing, so that every attempt picks (and health-counts) its own replica.
            proxy.Use(ReplicaRetry.InvokeAsync);
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return endpoints;
    }
}
