using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol;

/// <summary>
/// Converts the <c>data</c> member of JSON tensors to and from raw tensor bytes: little-endian, row-major, and for
/// BYTES the protocol's binary form (each element a 4-byte little-endian length, then its bytes).
/// </summary>
public static class JsonTensorData
{
    /// <summary>Reads row-major <c>data</c>, flat or nested, into tensor bytes.</summary>
    public static byte[] Decode(string inputName, string datatype, JsonElement data, long elementCount)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            throw InferenceException.BadRequest($"input '{inputName}': 'data' must be an array");
        }

        var elementSize = Datatypes.ElementSize(datatype);
        var writer = new ArrayBufferWriter<byte>(elementSize == 0 ? 256 : checked((int)(elementCount * elementSize)));
        var written = 0L;
        Flatten(inputName, datatype, data, writer, ref written, elementCount);
        if (written != elementCount)
        {
            throw InferenceException.BadRequest(
                $"input '{inputName}': 'data' has {written} elements but the shape holds {elementCount}");
        }

        return writer.WrittenSpan.ToArray();
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

    private static void Flatten(string inputName, string datatype, JsonElement array, ArrayBufferWriter<byte> destination, ref long written, long capacity)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                Flatten(inputName, datatype, item, destination, ref written, capacity);
                continue;
            }

            if (written == capacity)
            {
                throw InferenceException.BadRequest($"input '{inputName}': 'data' has more elements than the shape holds ({capacity})");
            }

            if (!TryWriteElement(datatype, item, destination))
            {
                throw InferenceException.BadRequest($"input '{inputName}': element {written} ({Describe(item)}) is not a valid {datatype} value");
            }

            written++;
        }
    }

    private static bool TryWriteElement(string datatype, JsonElement item, ArrayBufferWriter<byte> destination)
    {
        if (datatype == Datatypes.Bytes)
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            var text = item.GetString()!;
            var length = Encoding.UTF8.GetByteCount(text);
            BinaryPrimitives.WriteInt32LittleEndian(destination.GetSpan(4), length);
            destination.Advance(4);
            destination.Advance(Encoding.UTF8.GetBytes(text, destination.GetSpan(length)));
            return true;
        }

        if (datatype == Datatypes.Bool)
        {
            if (item.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return false;
            }

            destination.GetSpan(1)[0] = item.ValueKind == JsonValueKind.True ? (byte)1 : (byte)0;
            destination.Advance(1);
            return true;
        }

        if (item.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        var span = destination.GetSpan(8);
        int size;
        switch (datatype)
        {
            case Datatypes.Fp32:
                // Out-of-range numbers parse as infinity: refuse them rather than send infinities to the model.
                if (!item.TryGetSingle(out var f32) || !float.IsFinite(f32)) return false;
                BinaryPrimitives.WriteSingleLittleEndian(span, f32); size = 4; break;
            case Datatypes.Fp64:
                if (!item.TryGetDouble(out var f64) || !double.IsFinite(f64)) return false;
                BinaryPrimitives.WriteDoubleLittleEndian(span, f64); size = 8; break;
            case Datatypes.Fp16:
                if (!item.TryGetDouble(out var f16) || !Half.IsFinite((Half)f16)) return false;
                BinaryPrimitives.WriteHalfLittleEndian(span, (Half)f16); size = 2; break;
            case Datatypes.Bf16:
                if (!item.TryGetSingle(out var bf16) || !float.IsFinite(bf16)) return false;
                BinaryPrimitives.WriteUInt16LittleEndian(span, ToBFloat16(bf16)); size = 2; break;
            case Datatypes.Int8:
                if (!item.TryGetSByte(out var i8)) return false;
                span[0] = (byte)i8; size = 1; break;
            case Datatypes.UInt8:
                if (!item.TryGetByte(out var u8)) return false;
                span[0] = u8; size = 1; break;
            case Datatypes.Int16:
                if (!item.TryGetInt16(out var i16)) return false;
                BinaryPrimitives.WriteInt16LittleEndian(span, i16); size = 2; break;
            case Datatypes.UInt16:
                if (!item.TryGetUInt16(out var u16)) return false;
                BinaryPrimitives.WriteUInt16LittleEndian(span, u16); size = 2; break;
            case Datatypes.Int32:
                if (!item.TryGetInt32(out var i32)) return false;
                BinaryPrimitives.WriteInt32LittleEndian(span, i32); size = 4; break;
            case Datatypes.UInt32:
                if (!item.TryGetUInt32(out var u32)) return false;
                BinaryPrimitives.WriteUInt32LittleEndian(span, u32); size = 4; break;
            case Datatypes.Int64:
                if (!item.TryGetInt64(out var i64)) return false;
                BinaryPrimitives.WriteInt64LittleEndian(span, i64); size = 8; break;
            case Datatypes.UInt64:
                if (!item.TryGetUInt64(out var u64)) return false;
                BinaryPrimitives.WriteUInt64LittleEndian(span, u64); size = 8; break;
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

    private static string Describe(JsonElement item)
    {
        var text = item.GetRawText();
        return text.Length <= 32 ? text : text[..32] + "…";
    }
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
