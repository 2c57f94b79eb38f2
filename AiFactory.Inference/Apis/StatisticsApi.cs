using System.Text.Json.Serialization;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Statistics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Inference.Apis;

/// <summary>The <c>statistics</c> extension, in Triton's shape: per model version, counts and total nanoseconds.</summary>
public static class StatisticsApi
{
    public static IEndpointRouteBuilder MapStatisticsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v2/models").WithTags("Statistics");

        api.MapGet("/stats", (ModelRepository repository) => Report(repository.Entries))
            .WithName("AllModelStatistics").WithSummary("Statistics of every loaded model version");
        api.MapGet("/{model}/stats", GetModelStatistics)
            .WithName("ModelStatistics").WithSummary("Statistics of every loaded version of a model");
        api.MapGet("/{model}/versions/{version}/stats", GetModelStatistics)
            .WithName("ModelVersionStatistics").WithSummary("Statistics of one model version");

        return app;
    }

    private static Ok<StatisticsResponse> GetModelStatistics(string model, string? version, ModelRepository repository)
    {
        var entries = version is null
            ? repository.EntriesOf(model)
            : repository.Find(model, version).Entry is { } entry ? [entry] : [];
        return entries.Count == 0 ? throw InferenceError.NotFound(repository.Find(model, version).Error) : Report(entries);
    }

    private static Ok<StatisticsResponse> Report(IEnumerable<ModelVersionEntry> entries) =>
        TypedResults.Ok(new StatisticsResponse([.. entries.Where(entry => entry.Model is not null).Select(entry => Describe(entry.Model!.Statistics, entry))]));

    private static ModelStatisticsReport Describe(ModelStatistics statistics, ModelVersionEntry entry) => new(
        entry.Name,
        entry.Version,
        statistics.LastInferenceMs,
        statistics.InferenceCount,
        statistics.ExecutionCount,
        new InferenceStatisticsReport(
            Of(statistics.Success), Of(statistics.Fail), Of(statistics.Queue),
            Of(statistics.ComputeInput), Of(statistics.ComputeInfer), Of(statistics.ComputeOutput)),
        [.. statistics.ComputeInferByBatchSize.OrderBy(pair => pair.Key)
            .Select(pair => new BatchStatisticsReport(pair.Key, Of(pair.Value)))]);

    private static DurationReport Of(ModelStatistics.Duration duration) => new(duration.Count, duration.Ns);
}

public sealed record StatisticsResponse([property: JsonPropertyName("model_stats")] List<ModelStatisticsReport> ModelStats);

public sealed record ModelStatisticsReport(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("last_inference")] long LastInference,
    [property: JsonPropertyName("inference_count")] long InferenceCount,
    [property: JsonPropertyName("execution_count")] long ExecutionCount,
    [property: JsonPropertyName("inference_stats")] InferenceStatisticsReport InferenceStats,
    [property: JsonPropertyName("batch_stats")] List<BatchStatisticsReport> BatchStats);

public sealed record InferenceStatisticsReport(
    [property: JsonPropertyName("success")] DurationReport Success,
    [property: JsonPropertyName("fail")] DurationReport Fail,
    [property: JsonPropertyName("queue")] DurationReport Queue,
    [property: JsonPropertyName("compute_input")] DurationReport ComputeInput,
    [property: JsonPropertyName("compute_infer")] DurationReport ComputeInfer,
    [property: JsonPropertyName("compute_output")] DurationReport ComputeOutput);

public sealed record BatchStatisticsReport(
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("compute_infer")] DurationReport ComputeInfer);

public sealed record DurationReport([property: JsonPropertyName("count")] long Count, [property: JsonPropertyName("ns")] long Ns);

[JsonSerializable(typeof(StatisticsResponse))]
internal sealed partial class StatisticsJsonContext : JsonSerializerContext;
