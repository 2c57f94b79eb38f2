using System.Text.Json.Nodes;
using AiFactory.Inference.Optimization;

namespace AiFactory.Inference.Apis;

/// <summary>
/// <c>POST /internal/optimize</c>: runs a transform on a registry version for the gateway's optimize endpoint. The answer
/// is the new model's bytes (application/octet-stream) with what the transform did in the
/// <see cref="DetailsHeader"/> header (JSON). Not under <c>/v2</c>, so the gateway never proxies it to clients; in a
/// cluster the NetworkPolicy lets only the gateway reach inference.
/// </summary>
public static class OptimizationApi
{
    public const string Path = "/internal/optimize";

    /// <summary>The header carrying <c>{"details": {...}, "calibration": "..."}</c>: JSON, ASCII (non-ASCII escaped).</summary>
    public const string DetailsHeader = "AiFactory-Transform-Details";

    public static IEndpointRouteBuilder MapOptimizationApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, OptimizeAsync).WithTags("Registry").WithName("OptimizeModelVersion")
            .WithSummary("Make a new model from a registry version with a transform; answers its bytes, and what was done in a header");
        return app;
    }

    // A refusal (InferenceError: 400, 422, 503) is answered by the service's one error handler, as every endpoint's is.
    private static async Task<IResult> OptimizeAsync(OptimizeRequest request, ModelOptimizer optimizer, HttpContext context, CancellationToken cancellationToken)
    {
        var optimized = await optimizer.OptimizeAsync(request, cancellationToken);
        context.Response.Headers[DetailsHeader] = Details(optimized).ToJsonString();
        return TypedResults.Bytes(optimized.Bytes, "application/octet-stream");
    }

    private static JsonObject Details(ModelOptimizer.Optimized optimized)
    {
        var details = new JsonObject();
        foreach (var (name, value) in optimized.Details.OrderBy(detail => detail.Key, StringComparer.Ordinal))
        {
            details[name] = value switch
            {
                int number => number,
                long number => number,
                double number => number,
                float number => number,
                bool flag => flag,
                IEnumerable<string> items => new JsonArray([.. items.Select(item => JsonValue.Create(item))]),
                _ => value.ToString(),
            };
        }

        return new JsonObject { ["details"] = details, ["calibration"] = optimized.Calibration };
    }
}
