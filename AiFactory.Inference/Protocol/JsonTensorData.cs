using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol;

/// <summary>
/// Converts the <c>data</c> member of JSON tensors to and from raw tensor bytes: little-endian, row-major, and for
/// BYTES the protocol's binary form (each element a 4-byte little-endian length, then its bytes).
/// </summary>
public static class JsonTensorData
{
    /// <summary>
    /// Reads row-major <c>data</c> (its raw UTF-8 JSON), flat or nested, into tensor bytes in one pass with
    /// <see cref="Utf8JsonReader"/>: no DOM, no boxing, one allocation of the tensor's exact size. That allocation is
    /// made only when the JSON is long enough to hold the shape's elements, so it is bounded by the bytes the client
    /// sent (at most 4 bytes of tensor per byte of JSON, for 8-byte datatypes), never by the shape it declared.
    /// </summary>
    public static byte[] Decode(string inputName, string datatype, ReadOnlySpan<byte> json, long elementCount)
    {
        try
        {
            if (elementCount > MostElementsIn(json.Length))
            {
                // Refused without allocating the shape: the message counts what the data holds.
                throw CountMismatch(inputName, CountElements(inputName, json), elementCount);
            }

            var reader = StartArray(inputName, json);

            // FP32, by far the most common JSON tensor, goes straight into the float view of an exactly sized array,
            // skipping the general path's per-element datatype dispatch.
            var fp32 = datatype == Datatypes.Fp32 && BitConverter.IsLittleEndian;
            var exact = fp32 ? new byte[checked(elementCount * sizeof(float))] : null;
            var floats = MemoryMarshal.Cast<byte, float>(exact.AsSpan());
            var elementSize = Datatypes.ElementSize(datatype);
            var destination = fp32 ? null : new ArrayBufferWriter<byte>(elementSize == 0 ? 256 : checked((int)(elementCount * elementSize)));
            long written = 0;
            var depth = 1;
            while (depth > 0 && reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartArray:
                        depth++;
                        continue;
                    case JsonTokenType.EndArray:
                        depth--;
                        continue;
                }

                if (written == elementCount)
                {
                    throw InferenceException.BadRequest($"input '{inputName}': 'data' has more elements than the shape holds ({elementCount})");
                }

                var valid = fp32
                    ? TryStoreFp32(ref reader, floats, (int)written)
                    : TryWriteElement(datatype, ref reader, destination!);
                if (!valid)
                {
                    throw InferenceException.BadRequest($"input '{inputName}': element {written} ({Describe(ref reader)}) is not a valid {datatype} value");
                }

                written++;
            }

            if (written != elementCount)
            {
                throw CountMismatch(inputName, written, elementCount);
            }

            return exact ?? (destination!.WrittenCount == destination.Capacity ? GetArray(destination) : destination.WrittenSpan.ToArray());
        }
        catch (JsonException e)
        {
            throw InferenceException.BadRequest($"input '{inputName}': 'data' is not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// The most elements <paramref name="jsonLength"/> bytes of a JSON array can hold: each takes at least one byte and
    /// all but the last a comma after it.
    /// </summary>
    private static long MostElementsIn(int jsonLength) => (jsonLength + 1L) / 2;

    /// <summary>Counts the scalars of nested arrays without converting or keeping any.</summary>
    private static long CountElements(string inputName, ReadOnlySpan<byte> json)
    {
        var reader = StartArray(inputName, json);
        long count = 0;
        for (var depth = 1; depth > 0 && reader.Read();)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    depth++;
                    break;
                case JsonTokenType.EndArray:
                    depth--;
                    break;
                default:
                    reader.Skip(); // an object counts as one (invalid) element
                    count++;
                    break;
            }
        }

        return count;
    }

    private static Utf8JsonReader StartArray(string inputName, ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw InferenceException.BadRequest($"input '{inputName}': 'data' must be an array");
        }

        return reader;
    }

    private static InferenceException CountMismatch(string inputName, long elements, long elementCount) =>
        InferenceException.BadRequest($"input '{inputName}': 'data' has {elements} elements but the shape holds {elementCount}");

    private static bool TryStoreFp32(ref Utf8JsonReader item, Span<float> values, int index)
    {
        // Out-of-range numbers parse as infinity: refuse them rather than send infinities to the model.
        if (item.TokenType != JsonTokenType.Number || !item.TryGetSingle(out var value) || !float.IsFinite(value))
        {
            return false;
        }

        values[index] = value;
        return true;
    }

    /// <summary>Writes a tensor's elements as a flat JSON array.</summary>
    public static void Encode(Utf8JsonWriter writer, Tensor tensor)
    {
        writer.WriteStartArray();
        var data = tensor.Data.Span;
        var size = Datatypes.ElementSize(tensor.Datatype);
        if (size == 0)
        {
            foreach (var element in new BytesElements(data))
            {
                writer.WriteStringValue(Encoding.UTF8.GetString(element));
            }
        }
        else
        {
            for (var offset = 0; offset + size <= data.Length; offset += size)
            {
                WriteElement(writer, tensor.Datatype, data.Slice(offset, size));
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteElement(Utf8JsonWriter writer, string datatype, ReadOnlySpan<byte> bytes)
    {
        switch (datatype)
        {
            case Datatypes.Fp32: writer.WriteNumberValue(BinaryPrimitives.ReadSingleLittleEndian(bytes)); break;
            case Datatypes.Fp64: writer.WriteNumberValue(BinaryPrimitives.ReadDoubleLittleEndian(bytes)); break;
            case Datatypes.Fp16: writer.WriteNumberValue((float)BinaryPrimitives.ReadHalfLittleEndian(bytes)); break;
            case Datatypes.Bf16: writer.WriteNumberValue(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes) << 16)); break;
            case Datatypes.Bool: writer.WriteBooleanValue(bytes[0] != 0); break;
            case Datatypes.Int8: writer.WriteNumberValue((sbyte)bytes[0]); break;
            case Datatypes.UInt8: writer.WriteNumberValue(bytes[0]); break;
            case Datatypes.Int16: writer.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(bytes)); break;
            case Datatypes.UInt16: writer.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(bytes)); break;
            case Datatypes.Int32: writer.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(bytes)); break;
            case Datatypes.UInt32: writer.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(bytes)); break;
            case Datatypes.Int64: writer.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(bytes)); break;
            case Datatypes.UInt64: writer.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(bytes)); break;
            default: throw new NotSupportedException($"datatype {datatype}");
        }
    }

    private static bool TryWriteElement(string datatype, ref Utf8JsonReader item, ArrayBufferWriter<byte> destination)
    {
        if (datatype == Datatypes.Bytes)
        {
            if (item.TokenType != JsonTokenType.String)
            {
                return false;
            }

            // Unescaped UTF-8 is never longer than the escaped token.
            var span = destination.GetSpan(4 + item.ValueSpan.Length);
            var length = item.CopyString(span[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(span, length);
            destination.Advance(4 + length);
            return true;
        }

        if (datatype == Datatypes.Bool)
        {
            if (item.TokenType is not (JsonTokenType.True or JsonTokenType.False))
            {
                return false;
            }

            destination.GetSpan(1)[0] = item.TokenType == JsonTokenType.True ? (byte)1 : (byte)0;
            destination.Advance(1);
            return true;
        }

        if (item.TokenType != JsonTokenType.Number)
        {
            return false;
        }

        // Exactly the element's size: asking for more at the end of an exactly sized buffer would grow it.
        var target = destination.GetSpan(Datatypes.ElementSize(datatype));
        int size;
        switch (datatype)
        {
            case Datatypes.Fp32:
                // Out-of-range numbers parse as infinity: refuse them rather than send infinities to the model.
                if (!item.TryGetSingle(out var f32) || !float.IsFinite(f32)) return false;
                BinaryPrimitives.WriteSingleLittleEndian(target, f32); size = 4; break;
            case Datatypes.Fp64:
                if (!item.TryGetDouble(out var f64) || !double.IsFinite(f64)) return false;
                BinaryPrimitives.WriteDoubleLittleEndian(target, f64); size = 8; break;
            case Datatypes.Fp16:
                if (!item.TryGetDouble(out var f16) || !Half.IsFinite((Half)f16)) return false;
                BinaryPrimitives.WriteHalfLittleEndian(target, (Half)f16); size = 2; break;
            case Datatypes.Bf16:
                if (!item.TryGetSingle(out var bf16) || !float.IsFinite(bf16)) return false;
                BinaryPrimitives.WriteUInt16LittleEndian(target, ToBFloat16(bf16)); size = 2; break;
            case Datatypes.Int8:
                if (!item.TryGetSByte(out var i8)) return false;
                target[0] = (byte)i8; size = 1; break;
            case Datatypes.UInt8:
                if (!item.TryGetByte(out var u8)) return false;
                target[0] = u8; size = 1; break;
            case Datatypes.Int16:
                if (!item.TryGetInt16(out var i16)) return false;
                BinaryPrimitives.WriteInt16LittleEndian(target, i16); size = 2; break;
            case Datatypes.UInt16:
                if (!item.TryGetUInt16(out var u16)) return false;
                BinaryPrimitives.WriteUInt16LittleEndian(target, u16); size = 2; break;
            case Datatypes.Int32:
                if (!item.TryGetInt32(out var i32)) return false;
                BinaryPrimitives.WriteInt32LittleEndian(target, i32); size = 4; break;
            case Datatypes.UInt32:
                if (!item.TryGetUInt32(out var u32)) return false;
                BinaryPrimitives.WriteUInt32LittleEndian(target, u32); size = 4; break;
            case Datatypes.Int64:
                if (!item.TryGetInt64(out var i64)) return false;
                BinaryPrimitives.WriteInt64LittleEndian(target, i64); size = 8; break;
            case Datatypes.UInt64:
                if (!item.TryGetUInt64(out var u64)) return false;
                BinaryPrimitives.WriteUInt64LittleEndian(target, u64); size = 8; break;
            default:
                return false;
        }

        destination.Advance(size);
        return true;
    }

    /// <summary>Round to nearest even, as the hardware conversions do.</summary>
    private static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private static string Describe(ref Utf8JsonReader item)
    {
        var text = Encoding.UTF8.GetString(item.HasValueSequence ? item.ValueSequence.ToArray() : item.ValueSpan);
        if (item.TokenType == JsonTokenType.String)
        {
            text = $"\"{text}\"";
        }

        return text.Length <= 32 ? text : text[..32] + "…";
    }

    /// <summary>The writer's whole buffer when it was sized exactly, saving a copy of a large tensor.</summary>
    private static byte[] GetArray(ArrayBufferWriter<byte> writer) =>
        MemoryMarshal.TryGetArray(writer.WrittenMemory, out var segment) && segment.Offset == 0
        && segment.Count == segment.Array!.Length
            ? segment.Array
            : writer.WrittenSpan.ToArray();
}

/// <summary>Walks the elements of a BYTES tensor in the protocol's binary form.</summary>
public ref struct BytesElements(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    public ReadOnlySpan<byte> Current { get; private set; }

    public readonly BytesElements GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_rest.Length < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(_rest);
        if (length < 0 || length > _rest.Length - 4)
        {
            throw InferenceException.BadRequest("a BYTES element's length prefix runs past the end of its tensor");
        }

        Current = _rest.Slice(4, length);
        _rest = _rest[(4 + length)..];
        return true;
    }

    /// <summary>Counts the elements and checks the prefixes cover the data exactly.</summary>
    public static long Count(string inputName, ReadOnlySpan<byte> data)
    {
        long count = 0;
        while (data.Length > 0)
        {
            if (data.Length < 4)
            {
                throw InferenceException.BadRequest($"input '{inputName}': BYTES data ends inside a length prefix");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(data);
            if (length < 0 || length > data.Length - 4)
            {
                throw InferenceException.BadRequest($"input '{inputName}': BYTES element {count} claims {length} bytes, more than remain");
            }

            data = data[(4 + length)..];
            count++;
        }

        return count;
    }
}
