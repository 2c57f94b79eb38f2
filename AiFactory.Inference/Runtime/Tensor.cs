namespace AiFactory.Inference.Runtime;

/// <summary>
/// A named tensor as raw little-endian bytes in row-major order: JSON, binary and gRPC all decode to this,
/// and ONNX Runtime reads it without another copy.
/// </summary>
public sealed record Tensor(string Name, string Datatype, long[] Shape, byte[] Data)
{
    /// <summary>Number of elements the shape holds.</summary>
    public long ElementCount => Shapes.ElementCount(Shape);
}
