using System.Text.Json;
using System.Text.Json.Serialization;
using AiFactory.Inference.Validation;

namespace AiFactory.Inference.Optimization;

// POST /internal/optimize, as the gateway's optimization endpoint calls it: snake_case.

/// <summary>
/// Make a new model from <see cref="Parent"/>: <see cref="Transform"/> is the operator's request in its canonical form
/// (AiFactory.Optimization's <c>TransformRequest</c>); <see cref="Calibration"/> says where calibration inputs come
/// from: <c>default</c> (the parent's own labelled set, <see cref="LabelledSet"/>, where it has one; else the model's
/// evaluation set, where it has one) or <c>none</c>.
/// </summary>
public sealed record OptimizeRequest(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("parent")] ArtifactReference? Parent,
    [property: JsonPropertyName("transform")] JsonElement? Transform,
    [property: JsonPropertyName("calibration")] string? Calibration = OptimizeRequest.DefaultCalibration,
    [property: JsonPropertyName("labelled_set")] LabelledSetReference? LabelledSet = null)
{
    public const string DefaultCalibration = "default";
    public const string NoCalibration = "none";
}

[JsonSerializable(typeof(OptimizeRequest))]
internal sealed partial class OptimizationJsonContext : JsonSerializerContext;
