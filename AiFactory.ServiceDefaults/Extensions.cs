using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The defaults every AiFactory service shares: telemetry, health checks, service discovery and resilient HttpClients.
/// </summary>
public static class Extensions
{
    /// <summary>Liveness endpoint: only checks tagged <see cref="LiveTag"/>; a failure here means "restart me".</summary>
    public const string AlivePath = "/alive";

    /// <summary>Readiness endpoint: every registered check; a failure here means "send me no traffic".</summary>
    public const string HealthPath = "/health";

    /// <summary>Prometheus scrape endpoint, served on the <see cref="ManagementEndpoint"/> only.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// The Kestrel endpoint (<c>Kestrel:Endpoints:management</c>) that alone serves <see cref="MetricsPath"/>: its
    /// port can be opened to Prometheus and to nothing else, and the endpoints clients call never show the metrics.
    /// </summary>
    public const string ManagementEndpoint = "management";

    /// <summary>
    /// Bucket boundaries (seconds) for every latency histogram: AiFactory's latencies are milliseconds, and
    /// OpenTelemetry's default buckets (0, 5, 10, ... seconds) would put them all in the first one, so no p95 could be
    /// computed from them (the cluster's 500 ms latency alert reads these).
    /// </summary>
    public static IReadOnlyList<double> LatencyBucketsSeconds { get; } =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30];

    /// <summary>Tag for health checks that belong to liveness.</summary>
    public const string LiveTag = "live";

    /// <summary>Meters whose names start with this prefix are exported; every AiFactory meter uses it.</summary>
    public const string MeterPrefix = "AiFactory.";

    /// <summary>
    /// Adds OpenTelemetry, the default health checks, Kestrel's limits from configuration (<see cref="ServerLimits"/>),
    /// service discovery and the standard resilience handler.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddServerLimits();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>
    /// Logs, traces and metrics through OpenTelemetry: OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set,
    /// and always a Prometheus scrape endpoint (see <see cref="MapDefaultEndpoints"/>).
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(MeterPrefix + "*")
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(MeterPrefix + "*")
                // Probes and scrapes run every few seconds; tracing them only buries real requests.
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsInfrastructurePath(context.Request.Path))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Registers the liveness check every service has: the process answers.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> and <c>/alive</c> on every endpoint (Kubernetes probes call the service's own port) and
    /// <c>/metrics</c> on the <see cref="ManagementEndpoint"/> only, in every environment: probes and Prometheus need
    /// them in production too.
    /// </summary>
    /// <exception cref="InvalidOperationException">The management endpoint is not configured.</exception>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath);
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });

        // Told apart by the port the connection arrived on, never by the Host header, which every client sets.
        var managementPort = ManagementPort(app.Configuration);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
            context.Connection.LocalPort == managementPort && context.Request.Path == MetricsPath);
        return app;
    }

    private static int ManagementPort(IConfiguration configuration)
    {
        var key = $"Kestrel:Endpoints:{ManagementEndpoint}:Url";
        return configuration[key] is { Length: > 0 } url
            ? BindingAddress.Parse(url).Port
            : throw new InvalidOperationException($"Configuration '{key}' is missing: /metrics is served on the management endpoint only.");
    }

    private static bool IsInfrastructurePath(PathString path) =>
        path.StartsWithSegments(HealthPath) || path.StartsWithSegments(AlivePath) || path.StartsWithSegments(MetricsPath);
}
