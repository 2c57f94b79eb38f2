using System.Text.Json;
using System.Text.Json.Serialization;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Validation;

// POST /internal/validate, as the gateway's ValidationWorker calls it (registry contract, "Validation"): snake_case.

/// <summary>Validate <see cref="Candidate"/>, comparing it with <see cref="Reference"/> (the version taking traffic), if any.</summary>
public sealed record ValidationRequest(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("candidate")] ArtifactReference? Candidate,
    [property: JsonPropertyName("reference")] ArtifactReference? Reference,
    [property: JsonPropertyName("seed")] int Seed = 42,
    [property: JsonPropertyName("labelled_set")] LabelledSetReference? LabelledSet = null);

/// <summary>The candidate's own labelled set in the object store (its parent's, for a derived version), checked by SHA-256 while it is read.</summary>
public sealed record LabelledSetReference(
    [property: JsonPropertyName("storage_key")] string? StorageKey,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("size_bytes")] long SizeBytes);

/// <summary>A version's artifact in the object store, its size and SHA-256 (checked while it is read) and its config.json.</summary>
public sealed record ArtifactReference(
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("storage_key")] string? StorageKey,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("config")] JsonElement? Config);

/// <summary>
/// The report. <see cref="Passed"/> is false when the version must not serve (not ONNX, truncated, does not load, bad
/// config, non-finite outputs, fails on the smoke inputs); <see cref="Problems"/> names every problem found, the
/// signature's changes included, which leave it passed but block its traffic unless forced.
/// </summary>
public sealed record ValidationReport(
    [property: JsonPropertyName("passed")] bool Passed,
    [property: JsonPropertyName("problems")] IReadOnlyList<string> Problems,
    [property: JsonPropertyName("load")] LoadCheck Load,
    [property: JsonPropertyName("signature")] SignatureCheck? Signature,
    [property: JsonPropertyName("smoke")] SmokeCheck? Smoke,
    [property: JsonPropertyName("drift")] DriftCheck? Drift,
    [property: JsonPropertyName("latency")] LatencyCheck? Latency,
    [property: JsonPropertyName("config")] ConfigCheck Config,
    [property: JsonPropertyName("task")] TaskCheck? Task = null,
    [property: JsonPropertyName("labelled_set")] LabelledSetCheck? LabelledSet = null);

public sealed record LoadCheck(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("provider")] string? Provider,
    [property: JsonPropertyName("opset")] long? Opset,
    [property: JsonPropertyName("producer")] string? Producer,
    [property: JsonPropertyName("load_ms")] long? LoadMs);

/// <summary>The candidate's inputs and outputs as the ONNX file declares them, and how they differ from the reference's.</summary>
public sealed record SignatureCheck(
    [property: JsonPropertyName("inputs")] IReadOnlyList<TensorSpec> Inputs,
    [property: JsonPropertyName("outputs")] IReadOnlyList<TensorSpec> Outputs,
    [property: JsonPropertyName("compatible_with")] long? CompatibleWith,
    [property: JsonPropertyName("compatible")] bool Compatible,
    [property: JsonPropertyName("changes")] IReadOnlyList<string> Changes);

public sealed record SmokeCheck(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("non_finite_outputs")] long NonFiniteOutputs);

/// <summary>The candidate's outputs against the reference's on the same seeded inputs, over every output both have alike.</summary>
public sealed record DriftCheck(
    [property: JsonPropertyName("reference_version")] long ReferenceVersion,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("max_abs_diff")] double MaxAbsDiff,
    [property: JsonPropertyName("relative_l2")] double? RelativeL2,
    [property: JsonPropertyName("argmax_agreement")] double? ArgmaxAgreement);

public sealed record LatencyCheck(
    [property: JsonPropertyName("profile")] IReadOnlyList<LatencyPoint> Profile,
    [property: JsonPropertyName("recommended_max_batch_size")] int RecommendedMaxBatchSize,
    [property: JsonPropertyName("rule")] string Rule);

public sealed record LatencyPoint(
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("runs")] int Runs,
    [property: JsonPropertyName("p50_ms")] double P50Ms,
    [property: JsonPropertyName("p95_ms")] double P95Ms,
    [property: JsonPropertyName("items_per_second")] double ItemsPerSecond);

public sealed record ConfigCheck([property: JsonPropertyName("ok")] bool Ok, [property: JsonPropertyName("error")] string? Error);

/// <summary>
/// The OCR sample models' task metrics (docs/optimization.md) on the generated evaluation set, for the candidate and
/// the reference on the same set, the headline first; <see cref="Skipped"/> says why they were not measured (no
/// fonts, no dictionary), which never fails a validation.
/// </summary>
public sealed record TaskCheck(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("set")] string? Set,
    [property: JsonPropertyName("candidate")] IReadOnlyList<TaskMetricValue>? Candidate,
    [property: JsonPropertyName("reference")] IReadOnlyList<TaskMetricValue>? Reference,
    [property: JsonPropertyName("reference_version")] long? ReferenceVersion,
    [property: JsonPropertyName("headline")] HeadlineComparison? Headline,
    [property: JsonPropertyName("seconds")] double? Seconds,
    [property: JsonPropertyName("skipped")] string? Skipped);

/// <summary>One task metric; <see cref="Value"/> is null where the set held nothing to measure.</summary>
public sealed record TaskMetricValue(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] double? Value,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("higher_is_better")] bool HigherIsBetter);

/// <summary>The headline metric of candidate and reference and their difference (candidate − reference).</summary>
public sealed record HeadlineComparison(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("candidate")] double? Candidate,
    [property: JsonPropertyName("reference")] double? Reference,
    [property: JsonPropertyName("difference")] double? Difference);

/// <summary>
/// The candidate's own labelled set scored on the candidate and on the reference. <see cref="Error"/> says why a
/// model could not be scored (the set names an output it lacks, a sample it cannot run): a problem of the report.
/// </summary>
public sealed record LabelledSetCheck(
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("metric")] string? Metric,
    [property: JsonPropertyName("output")] string? Output,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("candidate")] LabelledScore? Candidate,
    [property: JsonPropertyName("reference")] LabelledScore? Reference,
    [property: JsonPropertyName("reference_version")] long? ReferenceVersion,
    [property: JsonPropertyName("error")] string? Error);

/// <summary>A model's score on the set (for max_abs_error, lower is better, with the mean error beside it); null where nothing was scored.</summary>
public sealed record LabelledScore(
    [property: JsonPropertyName("score")] double? Score,
    [property: JsonPropertyName("mean_abs_error")] double? MeanAbsError,
    [property: JsonPropertyName("error")] string? Error);

// Names are explicit: metadata from a context in another options' resolver chain (the HTTP JSON options) takes that
// options' naming policy, not the context's.
[JsonSerializable(typeof(ValidationRequest))]
[JsonSerializable(typeof(ValidationReport))]
internal sealed partial class ValidationJsonContext : JsonSerializerContext;
