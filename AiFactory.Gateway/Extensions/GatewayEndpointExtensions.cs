using AiFactory.Gateway.Apis;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Caching;
using AiFactory.Gateway.Metering;
using AiFactory.Gateway.RateLimiting;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;
using AiFactory.Gateway.Traffic;
using Scalar.AspNetCore;

namespace AiFactory.Gateway.Extensions;

public static class GatewayEndpointExtensions
{
    /// <summary>
    /// The OIP routes to inference, each request passing, in order: metering (sees every outcome below), the
    /// protocol check (the path or gRPC method parsed once, anything not the protocol's refused before any step reads
    /// a model from it), the body limit, the key's model allow-list (then its model lists filtered to it), rate and
    /// concurrency limits, the traffic split (which version serves, and the replicas that serve it: before the cache,
    /// whose key is that version), the response cache, then YARP's own pipeline (a replica chosen by load among those
    /// left, passive health) inside transport-failure retries on another replica. Authentication and scopes are
    /// checked before, by the routes' authorization policies.
    /// </summary>
    public static WebApplication MapInferenceProxy(this WebApplication app)
    {
        app.MapReverseProxy(proxy =>
        {
            proxy.UseStep<MeteringStep>();
            proxy.UseStep<OipTargetCheck>();
            proxy.UseStep<RequestBodyLimit>();
            proxy.UseStep<ModelAccessStep>();
            proxy.UseStep<ModelListFilterStep>();
            proxy.UseStep<RateLimitStep>();
            proxy.UseStep<TrafficSplitStep>();
            proxy.UseStep<ResponseCacheStep>();
            proxy.UseStep<UpstreamErrors>();
            proxy.UseStep<UpstreamTimingStep>();
            // Before load balancing, so that every attempt picks (and health-counts) its own replica.
            proxy.UseStep<ReplicaRetry>();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }

    /// <summary>
    /// The admin API (with the protocol's repository operations, which need the admin scope too), and in Development
    /// its OpenAPI document and an interactive reference (Scalar).
    /// </summary>
    public static WebApplication MapAdminApi(this WebApplication app)
    {
        app.MapApiKeysApi();
        app.MapUsageApi();
        app.MapRepositoryControlApi();
        app.MapWhoAmIApi();
        app.MapOverviewApi();
        app.MapModelsApi();
        app.MapOptimizationApi();
        app.MapTrafficApi();
        app.MapCanaryApi();
        app.MapAuditApi();
        app.MapAnalyzerApi();
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
            app.MapScalarApiReference();
        }

        return app;
    }
}
