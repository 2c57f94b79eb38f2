using System.Runtime.InteropServices;
using AiFactory.Optimization.Onnx;
using Google.Protobuf;

namespace AiFactory.Optimization.Quantization;

/// <summary>Reads FP32 initializers and writes the integer ones quantization makes (raw little-endian data, as ONNX stores it).</summary>
internal static class FloatTensors
{
    public static bool IsFloat(TensorProto tensor) => tensor.DataType == (int)TensorProto.Types.DataType.Float;

    public static float[] Values(TensorProto tensor) =>
        tensor.RawData.IsEmpty ? [.. tensor.FloatData] : MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();

    public static TensorProto Int8(string name, IEnumerable<long> dims, sbyte[] values) =>
        Raw(name, TensorProto.Types.DataType.Int8, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    public static TensorProto UInt8(string name, IEnumerable<long> dims, byte[] values) =>
        Raw(name, TensorProto.Types.DataType.Uint8, dims, values);

    public static TensorProto Int32(string name, IEnumerable<long> dims, int[] values) =>
        Raw(name, TensorProto.Types.DataType.Int32, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    public static TensorProto Float(string name, IEnumerable<long> dims, float[] values) =>
        Raw(name, TensorProto.Types.DataType.Float, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, IEnumerable<long> dims, ReadOnlySpan<byte> data)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(data) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }
}
