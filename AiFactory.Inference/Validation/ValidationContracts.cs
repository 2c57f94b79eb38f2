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
    [property: JsonPropertyName("seed")] int Seed = 42);

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
    [property: JsonPropertyName("config")] ConfigCheck Config);

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

// Names are explicit: metadata from a context in another options' resolver chain (the HTTP JSON options) takes that
// options' naming policy, not the context's.
[JsonSerializable(typeof(ValidationRequest))]
[JsonSerializable(typeof(ValidationReport))]
internal sealed partial class ValidationJsonContext : JsonSerializerContext;
