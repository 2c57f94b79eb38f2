using AiFactory.Optimization.Onnx;

namespace AiFactory.Optimization.Transforms;

/// <summary>
/// One optimization: a parent model in, a new model out, which then goes through validation like any upload
/// (DESIGN.md §8). Implementations are stateless and thread-safe; <see cref="ModelTransforms"/> lists them by name.
/// </summary>
public interface IModelTransform
{
    /// <summary>The name an operator asks for (<c>graph</c>, <c>fp16</c>, <c>int8-dynamic</c>, <c>int8-static</c>).</summary>
    string Name { get; }

    /// <summary>Makes the new model.</summary>
    /// <exception cref="TransformRefusedException">The transform does not apply to this model; the message says why.</exception>
    TransformResult Apply(TransformInput input);
}

/// <summary>What a transform works on.</summary>
/// <param name="Bytes">The parent's ONNX file, as stored.</param>
/// <param name="Model">The same file parsed (<see cref="OnnxModelFile.Read"/>); transforms that rewrite it work on a copy.</param>
/// <param name="Options">The operator's options.</param>
/// <param name="Calibration">Inputs to run the parent on (INT8 static); empty when the model has none.</param>
public sealed record TransformInput(ReadOnlyMemory<byte> Bytes, ModelProto Model, TransformOptions Options, CalibrationData Calibration);

/// <summary>The new model and what the transform did, for the version's lineage (e.g. "nodes quantized": 42).</summary>
public sealed record TransformResult(byte[] Bytes, IReadOnlyDictionary<string, object> Details);
