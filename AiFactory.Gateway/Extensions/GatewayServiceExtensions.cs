using AiFactory.Gateway.Routing;

namespace AiFactory.Gateway.Extensions;

public static class GatewayServiceExtensions
{
    /// <summary>Connection names the AppHost gives the gateway.</summary>
    public const string CacheConnectionName = "cache";
    public const string DatabaseConnectionName = "aifactory";

    /// <summary>Registers the reverse proxy to the inference replicas, and the Redis and PostgreSQL clients.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Destinations name services ("http://inference"); service discovery turns them into replica addresses.
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver();

        // Redis and PostgreSQL stay out of the gateway's readiness: a dead cache or a slow database must not take
        // every gateway replica out of the load balancer, since inference keeps working without them.
        builder.AddRedisClient(CacheConnectionName, settings => settings.DisableHealthChecks = true);
        builder.AddNpgsqlDataSource(DatabaseConnectionName, settings => settings.DisableHealthChecks = true);

        return builder;
    }
}
