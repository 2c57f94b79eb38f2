using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AiFactory.Inference.Validation;

namespace AiFactory.Inference.Analysis;

// POST /internal/analyze, as the gateway's AnalyzerClient calls it: snake_case.

/// <summary>Sweep serving configurations of <see cref="Artifact"/> and recommend the one with the most throughput that meets <see cref="Objective"/>.</summary>
public sealed record AnalysisRequest(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("artifact")] ArtifactReference? Artifact,
    [property: JsonPropertyName("objective")] LatencyObjective? Objective,
    [property: JsonPropertyName("sweep")] SweepRanges? Sweep,
    [property: JsonPropertyName("seconds_per_point")] double? SecondsPerPoint,
    [property: JsonPropertyName("seed")] int Seed = 42);

/// <summary>The latency a configuration must keep: its <see cref="Percentile"/> (95 or 99) at most <see cref="LatencyMs"/>.</summary>
public sealed record LatencyObjective(
    [property: JsonPropertyName("percentile")] int Percentile,
    [property: JsonPropertyName("latency_ms")] double LatencyMs);

/// <summary>The values to sweep; a field left out takes the defaults <see cref="SweepPlan"/> documents.</summary>
public sealed record SweepRanges(
    [property: JsonPropertyName("max_batch_size")] int[]? MaxBatchSize = null,
    [property: JsonPropertyName("max_queue_delay_us")] long[]? MaxQueueDelayUs = null,
    [property: JsonPropertyName("instance_count")] int[]? InstanceCount = null,
    [property: JsonPropertyName("intra_op_threads")] int[]? IntraOpThreads = null,
    [property: JsonPropertyName("execution_provider")] string[]? ExecutionProvider = null,
    [property: JsonPropertyName("concurrency")] int[]? Concurrency = null);

/// <summary>One serving configuration as the sweep varies it; <see cref="MaxQueueDelayUs"/> is null without batching.</summary>
public sealed record SweepSettings(
    [property: JsonPropertyName("max_batch_size")] int MaxBatchSize,
    [property: JsonPropertyName("max_queue_delay_us")] long? MaxQueueDelayUs,
    [property: JsonPropertyName("instance_count")] int InstanceCount,
    [property: JsonPropertyName("intra_op_threads")] int IntraOpThreads,
    [property: JsonPropertyName("execution_provider")] string ExecutionProvider);

/// <summary>
/// One measured point: a configuration under <see cref="Concurrency"/> closed-loop clients for a bounded time.
/// <see cref="Baseline"/> marks the version's own config. <see cref="Error"/> says why a point has no figures.
/// </summary>
public sealed record AnalysisRow(
    [property: JsonPropertyName("settings")] SweepSettings Settings,
    [property: JsonPropertyName("baseline")] bool Baseline,
    [property: JsonPropertyName("concurrency")] int Concurrency,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("throughput_per_s")] double ThroughputPerSecond,
    [property: JsonPropertyName("p50_ms")] double P50Ms,
    [property: JsonPropertyName("p95_ms")] double P95Ms,
    [property: JsonPropertyName("p99_ms")] double P99Ms,
    [property: JsonPropertyName("meets_objective")] bool MeetsObjective,
    [property: JsonPropertyName("error")] string? Error = null);

/// <summary>
/// The configuration to apply: <see cref="Config"/> is the version's config.json with <see cref="Changes"/> applied
/// (what was measured), <see cref="Row"/> the point that won.
/// </summary>
public sealed record Recommendation(
    [property: JsonPropertyName("config")] JsonObject Config,
    [property: JsonPropertyName("changes")] JsonObject Changes,
    [property: JsonPropertyName("row")] AnalysisRow Row);

/// <summary>An execution provider the sweep could use here, or why not.</summary>
public sealed record ProviderAvailability(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("available")] bool Available,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>
/// The analysis: every point measured (<see cref="Table"/>; the version's own config's rows are also in
/// <see cref="Baseline"/>), the recommendation (null when no point met the objective) and <see cref="Answer"/>, which
/// says it in a sentence.
/// </summary>
public sealed record AnalysisResult(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("objective")] LatencyObjective Objective,
    [property: JsonPropertyName("seconds_per_point")] double SecondsPerPoint,
    [property: JsonPropertyName("providers")] IReadOnlyList<ProviderAvailability> Providers,
    [property: JsonPropertyName("table")] IReadOnlyList<AnalysisRow> Table,
    [property: JsonPropertyName("baseline")] IReadOnlyList<AnalysisRow> Baseline,
    [property: JsonPropertyName("recommendation")] Recommendation? Recommendation,
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("notes")] IReadOnlyList<string> Notes);

[JsonSerializable(typeof(AnalysisRequest))]
[JsonSerializable(typeof(AnalysisResult))]
internal sealed partial class AnalysisJsonContext : JsonSerializerContext;
