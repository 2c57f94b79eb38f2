using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Runtime;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace AiFactory.Inference.Grpc;

/// <summary>
/// Turns the typed <c>InferTensorContents</c> fields into raw tensor bytes. The values must be in the field of the
/// input's datatype (the protocol's table) and number exactly what its shape holds: both are checked before a single
/// value is copied, so contents that do not fit cost nothing beyond the message itself. Then one exact allocation.
/// </summary>
public static class GrpcTensorContents
{
    public static byte[] ToBytes(string name, string datatype, long[] shape, long elementCount, InferTensorContents? contents)
    {
        if (contents is null)
        {
            throw InferenceException.BadRequest($"input '{name}' has neither contents nor raw_input_contents");
        }

        var field = FieldOf(datatype)
            ?? throw InferenceException.BadRequest($"input '{name}': {datatype} must be sent as raw_input_contents (protobuf has no 16-bit floats)");
        foreach (var (other, count) in Counts(contents))
        {
            if (other == field && count != elementCount)
            {
                throw InferenceException.BadRequest($"input '{name}': {field} holds {count} values, but shape {Shapes.Format(shape)} holds {elementCount}");
            }

            if (other != field && count > 0)
            {
                throw InferenceException.BadRequest($"input '{name}': {other} holds values, but {datatype} values go in {field}");
            }
        }

        return datatype switch
        {
            Datatypes.Fp32 => Copy(contents.Fp32Contents),
            Datatypes.Fp64 => Copy(contents.Fp64Contents),
            Datatypes.Int64 => Copy(contents.Int64Contents),
            Datatypes.UInt64 => Copy(contents.Uint64Contents),
            Datatypes.Int32 => Copy(contents.IntContents),
            Datatypes.UInt32 => Copy(contents.UintContents),
            Datatypes.Int16 => Narrow(name, datatype, contents.IntContents, 2, short.MinValue, short.MaxValue),
            Datatypes.Int8 => Narrow(name, datatype, contents.IntContents, 1, sbyte.MinValue, sbyte.MaxValue),
            Datatypes.UInt16 => Narrow(name, datatype, contents.UintContents, 2, ushort.MinValue, ushort.MaxValue),
            Datatypes.UInt8 => Narrow(name, datatype, contents.UintContents, 1, byte.MinValue, byte.MaxValue),
            Datatypes.Bool => Bools(contents.BoolContents),
            _ => LengthPrefixed(contents.BytesContents),
        };
    }

    /// <summary>The field that carries <paramref name="datatype"/>; null for those protobuf has no type for.</summary>
    private static string? FieldOf(string datatype) => datatype switch
    {
        Datatypes.Bool => "bool_contents",
        Datatypes.Int8 or Datatypes.Int16 or Datatypes.Int32 => "int_contents",
        Datatypes.Int64 => "int64_contents",
        Datatypes.UInt8 or Datatypes.UInt16 or Datatypes.UInt32 => "uint_contents",
        Datatypes.UInt64 => "uint64_contents",
        Datatypes.Fp32 => "fp32_contents",
        Datatypes.Fp64 => "fp64_contents",
        Datatypes.Bytes => "bytes_contents",
        _ => null,
    };

    private static (string Field, int Count)[] Counts(InferTensorContents contents) =>
    [
        ("bool_contents", contents.BoolContents.Count),
        ("int_contents", contents.IntContents.Count),
        ("int64_contents", contents.Int64Contents.Count),
        ("uint_contents", contents.UintContents.Count),
        ("uint64_contents", contents.Uint64Contents.Count),
        ("fp32_contents", contents.Fp32Contents.Count),
        ("fp64_contents", contents.Fp64Contents.Count),
        ("bytes_contents", contents.BytesContents.Count),
    ];

    /// <summary>The values as they lie in memory: little-endian, as the protocol's raw tensors are.</summary>
    private static byte[] Copy<T>(RepeatedField<T> values) where T : unmanaged
    {
        var bytes = new byte[values.Count * Unsafe.SizeOf<T>()];
        var target = MemoryMarshal.Cast<byte, T>(bytes.AsSpan());
        for (var i = 0; i < values.Count; i++)
        {
            target[i] = values[i];
        }

        return bytes;
    }

    private static byte[] Narrow<T>(string name, string datatype, RepeatedField<T> values, int size, long min, long max) where T : unmanaged, IConvertible
    {
        var bytes = new byte[values.Count * size];
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i].ToInt64(null);
            if (value < min || value > max)
            {
                throw InferenceException.BadRequest($"input '{name}': element {i} ({value}) is out of range for {datatype}");
            }

            if (size == 1)
            {
                bytes[i] = (byte)value;
            }
            else
            {
                BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), (short)value);
            }
        }

        return bytes;
    }

    private static byte[] Bools(RepeatedField<bool> values)
    {
        var bytes = new byte[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            bytes[i] = values[i] ? (byte)1 : (byte)0;
        }

        return bytes;
    }

    /// <summary>The protocol's binary BYTES form: each element a 4-byte little-endian length, then its bytes.</summary>
    private static byte[] LengthPrefixed(RepeatedField<ByteString> elements)
    {
        long total = 0;
        foreach (var element in elements)
        {
            total += 4 + element.Length;
        }

        var bytes = new byte[checked((int)total)];
        var offset = 0;
        foreach (var element in elements)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), element.Length);
            element.Span.CopyTo(bytes.AsSpan(offset + 4));
            offset += 4 + element.Length;
        }

        return bytes;
    }
}
