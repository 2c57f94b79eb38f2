using AiFactory.Inference.Analysis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Inference.Apis;

/// <summary>
/// <c>POST /internal/analyze</c>: the model analyzer's sweep of a version's serving configurations, called by the
/// gateway's admin API. Not under <c>/v2</c>, so the gateway never proxies it to clients.
/// </summary>
public static class AnalyzerApi
{
    public const string Path = "/internal/analyze";

    public static IEndpointRouteBuilder MapAnalyzerApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, AnalyzeAsync).WithTags("Registry").WithName("AnalyzeModelVersion")
            .WithSummary("Sweep a version's serving configurations under generated load on this replica; answers the table and the recommendation");
        return app;
    }

    // A refusal (InferenceError) is answered by the service's one error handler, as every endpoint's is.
    private static async Task<Ok<AnalysisResult>> AnalyzeAsync(AnalysisRequest request, ConfigAnalyzer analyzer, CancellationToken cancellationToken) =>
        TypedResults.Ok(await analyzer.AnalyzeAsync(request, cancellationToken));
}
