using AiFactory.Gateway.Overview;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Apis;

/// <summary><c>/api/admin/overview</c>: the operators' console's overview, from this gateway's samples (admin scope).</summary>
public static class OverviewApi
{
    public static IEndpointRouteBuilder MapOverviewApi(this IEndpointRouteBuilder app)
    {
        app.MapAdminGroup("/api/admin/overview").WithTags("Overview")
            .MapGet("/", Get).WithName("GetOverview")
            .WithSummary("Health of the services and inference replicas, and the last 15 minutes of traffic samples (this gateway's)");
        return app;
    }

    private static Ok<OverviewReport> Get(OverviewSampler sampler, OverviewRing ring, IOptions<OverviewOptions> options) =>
        TypedResults.Ok(new OverviewReport(Environment.MachineName, options.Value.SampleInterval.TotalSeconds, options.Value.Window.TotalSeconds,
            sampler.Services, sampler.Replicas, ring.Recent()));
}
