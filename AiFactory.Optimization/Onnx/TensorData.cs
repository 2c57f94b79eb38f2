using System.Runtime.InteropServices;
using Google.Protobuf;

namespace AiFactory.Optimization.Onnx;

/// <summary>
/// Reads and writes the values of a <see cref="TensorProto"/>: exporters store them either in the typed repeated
/// field (<c>float_data</c>, <c>int32_data</c> for FP16) or little-endian in <c>raw_data</c>; what this writes is
/// always <c>raw_data</c>, the compact form.
/// </summary>
public static class TensorData
{
    /// <summary>The largest finite FP16 value: FP32 values beyond it would become infinities.</summary>
    public const float MaxFloat16 = 65504f;

    public static TensorProto.Types.DataType TypeOf(TensorProto tensor) => (TensorProto.Types.DataType)tensor.DataType;

    /// <summary>The number of values the tensor's dimensions declare; -1 when they declare no real count (a negative or overflowing dimension).</summary>
    public static long ElementCount(TensorProto tensor)
    {
        long count = 1;
        foreach (var dimension in tensor.Dims)
        {
            if (dimension < 0 || (dimension > 0 && count > long.MaxValue / dimension))
            {
                return -1;
            }

            count *= dimension;
        }

        return count;
    }

    /// <summary>The values of an FP32 tensor, row-major, as many as its data holds.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not FP32 (a caller's mistake).</exception>
    /// <exception cref="TransformRefusedException">The data holds a different count of values than the dimensions declare (a malformed file).</exception>
    public static float[] ReadFloats(TensorProto tensor)
    {
        if (TypeOf(tensor) != TensorProto.Types.DataType.Float)
        {
            throw new InvalidOperationException($"tensor '{tensor.Name}' is {TypeOf(tensor)}, not FLOAT");
        }

        var values = tensor.RawData.IsEmpty
            ? tensor.FloatData.ToArray()
            : MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
        if (values.Length != ElementCount(tensor) || tensor.RawData.Length % sizeof(float) != 0)
        {
            throw new TransformRefusedException(
                $"tensor '{tensor.Name}' holds {values.Length} values where its dimensions [{string.Join(",", tensor.Dims)}] declare {ElementCount(tensor)}");
        }

        return values;
    }

    /// <summary>An FP32 tensor.</summary>
    public static TensorProto Float(string name, IEnumerable<long> dims, ReadOnlySpan<float> values) =>
        Raw(name, dims, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values));

    /// <summary>A UINT8 tensor.</summary>
    public static TensorProto UInt8(string name, IEnumerable<long> dims, ReadOnlySpan<byte> values) =>
        Raw(name, dims, TensorProto.Types.DataType.Uint8, values);

    /// <summary>An INT32 tensor.</summary>
    public static TensorProto Int32(string name, IEnumerable<long> dims, ReadOnlySpan<int> values) =>
        Raw(name, dims, TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(values));

    /// <summary>An INT8 tensor.</summary>
    public static TensorProto Int8(string name, IEnumerable<long> dims, ReadOnlySpan<sbyte> values) =>
        Raw(name, dims, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values));

    /// <summary>
    /// An FP16 tensor of the FP32 values, those beyond ±<see cref="MaxFloat16"/> clamped to it (their count in
    /// <paramref name="clamped"/>) rather than turned into infinities, which would poison every value they touch.
    /// </summary>
    public static TensorProto Float16(string name, IEnumerable<long> dims, ReadOnlySpan<float> values, out int clamped)
    {
        clamped = 0;
        var halves = new Half[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var value = values[i];
            if (float.IsFinite(value) && Math.Abs(value) > MaxFloat16)
            {
                value = MathF.CopySign(MaxFloat16, value);
                clamped++;
            }

            halves[i] = (Half)value;
        }

        return Raw(name, dims, TensorProto.Types.DataType.Float16, MemoryMarshal.AsBytes(halves.AsSpan()));
    }

    /// <summary>The size of the tensor's data as stored, in bytes.</summary>
    public static long StoredBytes(TensorProto tensor) => tensor.RawData.Length + tensor.FloatData.Count * 4L
        + tensor.Int32Data.Count * 4L + tensor.Int64Data.Count * 8L + tensor.DoubleData.Count * 8L + tensor.Uint64Data.Count * 8L;

    private static TensorProto Raw(string name, IEnumerable<long> dims, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this machine is not");
        }

        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }
}
