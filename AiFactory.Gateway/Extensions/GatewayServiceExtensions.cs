using System.Text.Json;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Caching;
using AiFactory.Gateway.Database;
using AiFactory.Gateway.Metering;
using AiFactory.Gateway.ModelControl;
using AiFactory.Gateway.Overview;
using AiFactory.Gateway.RateLimiting;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AiFactory.Gateway.Extensions;

public static class GatewayServiceExtensions
{
    /// <summary>Connection names the AppHost gives the gateway.</summary>
    public const string CacheConnectionName = "cache";
    public const string DatabaseConnectionName = "aifactory";

    /// <summary>
    /// Registers the reverse proxy to the inference replicas, API-key authentication, rate limits, the traffic split,
    /// the response cache, usage metering, the admin API's services and the Redis and PostgreSQL clients.
    /// </summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<GatewayOptions>(GatewayOptions.SectionName)
            .AddValidatedOptions<ApiKeyOptions>(ApiKeyOptions.SectionName)
            .AddValidatedOptions<FailedAuthenticationOptions>(FailedAuthenticationOptions.SectionName)
            .AddValidatedOptions<ModelAccessOptions>(ModelAccessOptions.SectionName)
            .AddValidatedOptions<RateLimitOptions>(RateLimitOptions.SectionName)
            .AddValidatedOptions<ResponseCacheOptions>(ResponseCacheOptions.SectionName)
            .AddValidatedOptions<UsageOptions>(UsageOptions.SectionName)
            .AddValidatedOptions<OverviewOptions>(OverviewOptions.SectionName);
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ConfiguredKeyRules>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new RequestBufferBudget(provider.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxBufferedBodyBytes));
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
        services.AddSingleton<SchemaMigrator>()
            .AddSingleton<SchemaMigrationService>().AddHostedService(provider => provider.GetRequiredService<SchemaMigrationService>());
        // Readiness waits for the schema once, at start; a database outage later does not take the gateway out.
        services.AddHealthChecks().AddCheck<SchemaHealthCheck>(SchemaHealthCheck.Name);

        services.AddValidatedOptions<OidcOptions>(OidcOptions.SectionName);
        services.AddGatewayAuthentication(builder.Configuration);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var scope in ApiKeyScopes.All)
        {
            authorization.AddPolicy(scope, policy => policy.RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiKeyScopes.Granting(scope)));
        }

        services.AddSingleton<ApiKeyStore>().AddSingleton<ApiKeyValidator>().AddHostedService<RevocationWatcher>()
            .AddSingleton<FailedAuthenticationThrottle>();
        services.AddSingleton<RedisRateLimiter>().AddSingleton<ITokenSource>(sp => sp.GetRequiredService<RedisRateLimiter>())
            .AddSingleton<LeasedRateLimiter>().AddSingleton<LocalRateLimiter>().AddSingleton<RateLimitMode>()
            .AddHostedSingleton<GatewayReplicas>().AddHostedSingleton<RateLimitBucketSweeper>()
            .AddSingleton<KeyConcurrencyLimiter>();
        services.AddSingleton<ResponseCache>();
        services.AddSingleton<RepositoryBroadcast>();
        services.AddHttpClient<ModelVersionResolver>(ModelVersionResolver.ClientName, http => http.BaseAddress = new Uri("http://inference"));
        services.AddSingleton<TrafficWindow>().AddHostedSingleton<GatewayTrafficListener>().AddSingleton<ReplicaProbe>()
            .AddSingleton<ServiceHealthProbe>().AddSingleton<OverviewRing>().AddHostedSingleton<OverviewSampler>();
        services.AddSingleton<UsageMeter>().AddSingleton<UsageStore>().AddHostedSingleton<UsageFlushService>();
        services.AddTrafficSplit();
        // The proxy pipeline's steps, each one IProxyStep (GatewayEndpointExtensions.MapInferenceProxy gives their order).
        services.AddSingleton<MeteringStep>().AddSingleton<OipTargetCheck>().AddSingleton<RequestBodyLimit>().AddSingleton<ModelAccessStep>()
            .AddSingleton<ModelListFilterStep>().AddSingleton<RateLimitStep>().AddSingleton<ResponseCacheStep>().AddSingleton<UpstreamErrors>()
            .AddSingleton<UpstreamTimingStep>().AddSingleton<ReplicaRetry>();

        // The admin API speaks the protocol's snake_case.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddOpenApi();
        return builder;
    }

    /// <summary>A hosted service that other services (and tests) can also resolve: one instance for both.</summary>
    internal static IServiceCollection AddHostedSingleton<TService>(this IServiceCollection services) where TService : class, IHostedService =>
        services.AddSingleton<TService>().AddHostedService(provider => provider.GetRequiredService<TService>());

    internal static IServiceCollection AddValidatedOptions<TOptions>(this IServiceCollection services, string section) where TOptions : class
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
