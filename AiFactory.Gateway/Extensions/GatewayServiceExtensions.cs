using System.Text.Json;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Caching;
using AiFactory.Gateway.Database;
using AiFactory.Gateway.Metering;
using AiFactory.Gateway.RateLimiting;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;
using Microsoft.AspNetCore.Authentication;
using StackExchange.Redis;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace AiFactory.Gateway.Extensions;

public static class GatewayServiceExtensions
{
    /// <summary>Connection names the AppHost gives the gateway.</summary>
    public const string CacheConnectionName = "cache";
    public const string DatabaseConnectionName = "aifactory";

    /// <summary>
    /// Registers the reverse proxy to the inference replicas, API-key authentication, rate limits, the response
    /// cache, usage metering, the admin API's services and the Redis and PostgreSQL clients.
    /// </summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<GatewayOptions>(GatewayOptions.SectionName)
            .AddValidatedOptions<ApiKeyOptions>(ApiKeyOptions.SectionName)
            .AddValidatedOptions<RateLimitOptions>(RateLimitOptions.SectionName)
            .AddValidatedOptions<ResponseCacheOptions>(ResponseCacheOptions.SectionName)
            .AddValidatedOptions<UsageOptions>(UsageOptions.SectionName);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayMetrics>().AddSingleton<RedisFailureReporter>();

        builder.AddInferenceRouting();

        // Redis and PostgreSQL stay out of the gateway's readiness: a dead cache or a slow database must not take
        // every gateway replica out of the load balancer, since inference keeps working without them. While Redis is
        // down its calls must fail at once (not queue until a timeout), so each request goes on without it.
        builder.AddRedisClient(CacheConnectionName, settings => settings.DisableHealthChecks = true, options =>
        {
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
            options.ConnectTimeout = 2000;
            options.AsyncTimeout = 1000;
        });
        builder.AddNpgsqlDataSource(DatabaseConnectionName, settings => settings.DisableHealthChecks = true);
        services.AddSingleton<SchemaMigrator>().AddHostedService<SchemaMigrationService>();

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var scope in ApiKeyScopes.All)
        {
            authorization.AddPolicy(scope, policy => policy.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, scope));
        }

        services.AddSingleton<ApiKeyStore>().AddSingleton<ApiKeyValidator>().AddHostedService<RevocationWatcher>();
        services.AddSingleton<RedisRateLimiter>().AddSingleton<KeyConcurrencyLimiter>();
        services.AddSingleton<ResponseCache>();
        services.AddHttpClient<ModelVersionResolver>(ModelVersionResolver.ClientName, http => http.BaseAddress = new Uri("http://inference"));
        services.AddSingleton<UsageMeter>().AddSingleton<UsageStore>()
            .AddSingleton<UsageFlushService>().AddHostedService(provider => provider.GetRequiredService<UsageFlushService>());
        services.AddSingleton<MeteringStep>().AddSingleton<ModelAccessStep>().AddSingleton<RateLimitStep>().AddSingleton<ResponseCacheStep>()
            .AddSingleton<UpstreamTimingStep>();

        // The admin API speaks the protocol's snake_case.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddOpenApi();
        return builder;
    }

    private static IServiceCollection AddValidatedOptions<TOptions>(this IServiceCollection services, string section) where TOptions : class
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Registers YARP with the routes and clusters of the <c>ReverseProxy</c> section, destinations resolved through
    /// service discovery (and DNS, see <see cref="RoutingOptions.ResolveAllAddresses"/>), and the routing options.
    /// </summary>
    public static IHostApplicationBuilder AddInferenceRouting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RoutingOptions>()
            .BindConfiguration(RoutingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<TransportFailureRateHealthPolicyOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<RoutingOptions>>((passive, routing) => passive.DetectionWindowSize = routing.Value.PassiveHealthWindow);
        builder.Services.AddOptions<DnsDestinationResolverOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<RoutingOptions>>((dns, routing) => dns.RefreshPeriod = routing.Value.AddressRefreshPeriod);

        // Destinations name services ("http://inference", "http://_grpc.inference"); service discovery turns each
        // into every replica's address, and YARP's DNS resolver each host into its addresses. Both resolvers are
        // internal to their packages: take them from their registrations and chain them.
        var proxy = builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        var serviceDiscovery = TakeResolver(builder.Services, () => proxy.AddServiceDiscoveryDestinationResolver());
        var dns = TakeResolver(builder.Services, () => proxy.AddDnsDestinationResolver());
        builder.Services.AddSingleton<IDestinationResolver>(services => ActivatorUtilities.CreateInstance<PerAddressDestinationResolver>(services,
            Create(services, serviceDiscovery), Create(services, dns)));

        return builder;
    }

    /// <summary>Runs <paramref name="register"/> and takes back the resolver registration it added.</summary>
    private static ServiceDescriptor TakeResolver(IServiceCollection services, Action register)
    {
        register();
        var descriptor = services.Last(service => service.ServiceType == typeof(IDestinationResolver));
        services.Remove(descriptor);
        return descriptor;
    }

    private static IDestinationResolver Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        (IDestinationResolver)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
