using System.Buffers.Binary;
using System.Text.Json;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol;

/// <summary>Converts the <c>data</c> member of JSON tensors to and from raw tensor bytes.</summary>
public static class JsonTensorData
{
    /// <summary>Reads row-major <c>data</c>, flat or nested, into little-endian bytes.</summary>
    public static byte[] Decode(string inputName, string datatype, JsonElement data, long elementCount)
    {
        if (datatype != Datatypes.Fp32)
        {
            throw InferenceException.BadRequest($"input '{inputName}': datatype {datatype} is not supported over JSON yet");
        }

        if (data.ValueKind != JsonValueKind.Array)
        {
            throw InferenceException.BadRequest($"input '{inputName}': 'data' must be an array");
        }

        var bytes = new byte[checked(elementCount * sizeof(float))];
        var written = 0L;
        Flatten(inputName, data, bytes, ref written, elementCount);
        if (written != elementCount)
        {
            throw InferenceException.BadRequest(
                $"input '{inputName}': 'data' has {written} elements but the shape holds {elementCount}");
        }

        return bytes;
    }

    /// <summary>Writes a tensor's elements as a flat JSON array.</summary>
    public static void Encode(Utf8JsonWriter writer, Tensor tensor)
    {
        writer.WriteStartArray();
        if (tensor.Datatype == Datatypes.Fp32)
        {
            var span = tensor.Data.AsSpan();
            for (var offset = 0; offset + sizeof(float) <= span.Length; offset += sizeof(float))
            {
                writer.WriteNumberValue(BinaryPrimitives.ReadSingleLittleEndian(span[offset..]));
            }
        }
        else
        {
            throw new NotSupportedException($"output '{tensor.Name}': datatype {tensor.Datatype} is not supported over JSON yet");
        }

        writer.WriteEndArray();
    }

    private static void Flatten(string inputName, JsonElement element, byte[] destination, ref long written, long capacity)
    {
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                Flatten(inputName, item, destination, ref written, capacity);
                continue;
            }

            if (item.ValueKind != JsonValueKind.Number || !item.TryGetSingle(out var value))
            {
                throw InferenceException.BadRequest($"input '{inputName}': element {written} is not an FP32 number");
            }

            if (written == capacity)
            {
                throw InferenceException.BadRequest($"input '{inputName}': 'data' has more elements than the shape holds ({capacity})");
            }

            BinaryPrimitives.WriteSingleLittleEndian(destination.AsSpan((int)(written * sizeof(float))), value);
            written++;
        }
    }
}
