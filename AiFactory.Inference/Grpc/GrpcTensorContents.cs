using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Grpc;

/// <summary>Turns the typed <c>InferTensorContents</c> fields into raw tensor bytes.</summary>
public static class GrpcTensorContents
{
    public static byte[] ToBytes(string name, string datatype, InferTensorContents? contents)
    {
        if (contents is null)
        {
            throw InferenceException.BadRequest($"input '{name}' has neither contents nor raw_input_contents");
        }

        return datatype switch
        {
            Datatypes.Fp32 => MemoryMarshal.AsBytes(contents.Fp32Contents.ToArray().AsSpan()).ToArray(),
            Datatypes.Fp64 => MemoryMarshal.AsBytes(contents.Fp64Contents.ToArray().AsSpan()).ToArray(),
            Datatypes.Int64 => MemoryMarshal.AsBytes(contents.Int64Contents.ToArray().AsSpan()).ToArray(),
            Datatypes.UInt64 => MemoryMarshal.AsBytes(contents.Uint64Contents.ToArray().AsSpan()).ToArray(),
            Datatypes.Int32 => MemoryMarshal.AsBytes(contents.IntContents.ToArray().AsSpan()).ToArray(),
            Datatypes.UInt32 => MemoryMarshal.AsBytes(contents.UintContents.ToArray().AsSpan()).ToArray(),
            Datatypes.Int16 => Narrow(name, datatype, contents.IntContents, 2, v => v is >= short.MinValue and <= short.MaxValue),
            Datatypes.Int8 => Narrow(name, datatype, contents.IntContents, 1, v => v is >= sbyte.MinValue and <= sbyte.MaxValue),
            Datatypes.UInt16 => Narrow(name, datatype, contents.UintContents.Select(v => (long)v), 2, v => v <= ushort.MaxValue),
            Datatypes.UInt8 => Narrow(name, datatype, contents.UintContents.Select(v => (long)v), 1, v => v <= byte.MaxValue),
            Datatypes.Bool => [.. contents.BoolContents.Select(v => v ? (byte)1 : (byte)0)],
            Datatypes.Bytes => LengthPrefixed(contents),
            _ => throw InferenceException.BadRequest($"input '{name}': {datatype} must be sent as raw_input_contents (protobuf has no 16-bit floats)"),
        };
    }

    private static byte[] Narrow(string name, string datatype, IEnumerable<int> values, int size, Func<long, bool> inRange) =>
        Narrow(name, datatype, values.Select(v => (long)v), size, inRange);

    private static byte[] Narrow(string name, string datatype, IEnumerable<long> values, int size, Func<long, bool> inRange)
    {
        var list = values.ToList();
        var bytes = new byte[list.Count * size];
        for (var i = 0; i < list.Count; i++)
        {
            if (!inRange(list[i]))
            {
                throw InferenceException.BadRequest($"input '{name}': element {i} ({list[i]}) is out of range for {datatype}");
            }

            if (size == 1)
            {
                bytes[i] = (byte)list[i];
            }
            else
            {
                BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), (short)list[i]);
            }
        }

        return bytes;
    }

    private static byte[] LengthPrefixed(InferTensorContents contents)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var element in contents.BytesContents)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), element.Length);
            buffer.Advance(4);
            buffer.Write(element.Span);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
