using System.Globalization;
using AiFactory.Gateway.Canary;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Overview;
using AiFactory.Gateway.Registry;
using AiFactory.Gateway.Traffic;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Apis;

/// <summary><c>/api/admin/models/{model}/canary</c>: the model's versions side by side while its traffic is split (admin scope).</summary>
public static class CanaryApi
{
    public static IEndpointRouteBuilder MapCanaryApi(this IEndpointRouteBuilder app)
    {
        app.MapAdminGroup(ModelsApi.Prefix).WithTags("Traffic")
            .MapGet("/{model}/canary", GetAsync).WithName("GetModelCanary")
            .WithSummary("Per version: request rate, error rate and p50/p95 latency over the last 15 minutes, the weights in force and "
                         + "the automatic rollback's thresholds and current figures (this gateway's traffic only)")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Ok<CanaryReport>> GetAsync(
        string model, TrafficPolicies policies, CanarySeries series, RolloutWindow window, RegistryStore registry,
        IOptions<OverviewOptions> overview, IOptions<AutoRollbackOptions> rollback, CancellationToken cancellationToken)
    {
        var name = RegistryNames.Model(model);
        var policy = policies.InForce(name);
        if (policy is null && await registry.FindModelAsync(name, cancellationToken) is null)
        {
            throw RequestRefusedException.NotFound($"the registry has no model '{name}'");
        }

        var settings = rollback.Value;
        return TypedResults.Ok(new CanaryReport(
            name,
            Environment.MachineName,
            overview.Value.SampleInterval.TotalSeconds,
            overview.Value.Window.TotalSeconds,
            policy?.Id,
            policy?.Weights.ToDictionary(weight => weight.Version.ToString(CultureInfo.InvariantCulture), weight => weight.Percent) ?? [],
            policy?.Stable,
            new RollbackThresholds(settings.Enabled, settings.Window.TotalSeconds, settings.MinRequests, settings.ErrorRateMargin, settings.P95MarginRatio),
            policy is null ? [] : [.. policy.Weights.Select(weight => Judged(window.Figures(name, policy.Id, weight.Version)))],
            series.Recent(name)));
    }

    private static JudgedVersion Judged(VersionFigures figures) =>
        new(figures.Version, figures.Requests, figures.Errors, figures.ErrorRate, figures.P95Seconds * 1000);
}
