namespace AiFactory.Inference.Runtime;

/// <summary>
/// A named tensor as raw little-endian bytes in row-major order: JSON, binary and gRPC all decode to this,
/// and ONNX Runtime reads it without another copy.
/// </summary>
/// <remarks>
/// Inputs may point into a pooled request buffer, so a tensor is only valid while its request is being served.
/// </remarks>
public sealed record Tensor(string Name, string Datatype, long[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>Number of elements the shape holds.</summary>
    public long ElementCount => Shapes.ElementCount(Shape);
}
