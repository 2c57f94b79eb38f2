using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol;

/// <summary>
/// One inference as the core sees it, whichever protocol carried it: the model and version named, the inputs as the
/// client declared them, the outputs asked for (none: all) and how long the request may wait in a queue.
/// </summary>
public sealed record InferenceCall(
    string Model, string? Version, IReadOnlyList<CallInput> Inputs, IReadOnlyList<string>? Outputs, TimeSpan? Timeout)
{
    /// <summary>The request parameter both protocols read the timeout from (Triton's), in microseconds.</summary>
    public const string TimeoutParameter = "timeout";
}

/// <summary>An input as declared: checked against the model before its <paramref name="Data"/> is decoded.</summary>
public sealed record CallInput(string? Name, string? Datatype, long[]? Shape, IInputData Data);

/// <summary>
/// An input's values as the protocol carried them. The core decodes them only once the declared name, datatype and
/// shape fit the model, so nothing is expanded for a request that is refused anyway.
/// </summary>
public interface IInputData
{
    /// <summary>The tensor's bytes for <paramref name="spec"/> at <paramref name="shape"/>, which holds <paramref name="elementCount"/> elements.</summary>
    ReadOnlyMemory<byte> Decode(TensorSpec spec, long[] shape, long elementCount);
}

/// <summary>
/// Values already in the protocol's raw form (binary extension, gRPC <c>raw_input_contents</c>): used where they lie,
/// once their length fits the shape.
/// </summary>
public sealed class RawInputData(ReadOnlyMemory<byte> bytes) : IInputData
{
    public ReadOnlyMemory<byte> Decode(TensorSpec spec, long[] shape, long elementCount)
    {
        var size = Datatypes.ElementSize(spec.Datatype);
        if (size > 0 && bytes.Length != elementCount * size)
        {
            throw InferenceError.InvalidArgument(
                $"input '{spec.Name}': {bytes.Length} bytes of binary data, but shape {Shapes.Format(shape)} of {spec.Datatype} needs {elementCount * size}");
        }

        if (size == 0 && BytesElements.Count(spec.Name, bytes.Span) is var elements && elements != elementCount)
        {
            throw InferenceError.InvalidArgument($"input '{spec.Name}': the binary data holds {elements} BYTES elements, the shape {elementCount}");
        }

        return bytes;
    }
}

/// <summary>What the core answers: the version that ran and its outputs, in the order asked for.</summary>
public sealed record InferenceResult(string ModelName, string ModelVersion, IReadOnlyList<Tensor> Outputs);
