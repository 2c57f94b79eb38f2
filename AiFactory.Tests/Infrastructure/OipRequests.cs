using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiFactory.Tests.Infrastructure;

/// <summary>Builds Open Inference Protocol requests the way independent clients do, and reads their answers.</summary>
public static class OipRequests
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    /// <summary>A JSON request for one FP32 input, data flat.</summary>
    public static StringContent Json(string input, long[] shape, float[] data, string? id = null, JsonObject? parameters = null)
    {
        var request = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = input,
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray([.. shape.Select(d => JsonValue.Create(d))]),
                ["data"] = new JsonArray([.. data.Select(v => JsonValue.Create(v))]),
            }),
        };
        if (id is not null)
        {
            request["id"] = id;
        }

        if (parameters is not null)
        {
            request["parameters"] = parameters;
        }

        return new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
    }

    /// <summary>A binary_tensor_data request: JSON header, then the raw bytes of each input in order.</summary>
    public static ByteArrayContent Binary(JsonObject header, params byte[][] tensors)
    {
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var body = new byte[json.Length + tensors.Sum(t => t.Length)];
        json.CopyTo(body, 0);
        var offset = json.Length;
        foreach (var tensor in tensors)
        {
            tensor.CopyTo(body, offset);
            offset += tensor.Length;
        }

        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add(HeaderLength, json.Length.ToString());
        return content;
    }

    /// <summary>A binary request for one FP32 input, asking for every output in binary.</summary>
    public static ByteArrayContent BinaryFp32(string input, long[] shape, float[] data) => Binary(new JsonObject
    {
        ["inputs"] = new JsonArray(new JsonObject
        {
            ["name"] = input,
            ["datatype"] = "FP32",
            ["shape"] = new JsonArray([.. shape.Select(d => JsonValue.Create(d))]),
            ["parameters"] = new JsonObject { ["binary_data_size"] = data.Length * 4 },
        }),
        ["parameters"] = new JsonObject { ["binary_data_output"] = true },
    }, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());

    /// <summary>The JSON part of a response and its binary outputs by name (empty for plain JSON).</summary>
    public static async Task<(JsonObject Json, Dictionary<string, byte[]> Binary)> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        var jsonLength = response.Headers.TryGetValues(HeaderLength, out var values) ? int.Parse(values.Single()) : body.Length;
        var json = JsonNode.Parse(body.AsSpan(0, jsonLength))!.AsObject();
        var binary = new Dictionary<string, byte[]>();
        var offset = jsonLength;
        foreach (var output in json["outputs"]?.AsArray() ?? [])
        {
            if (output!["parameters"]?["binary_data_size"] is { } size)
            {
                binary[output["name"]!.GetValue<string>()] = body.AsSpan(offset, size.GetValue<int>()).ToArray();
                offset += size.GetValue<int>();
            }
        }

        return (json, binary);
    }

    /// <summary>The FP32 values of one output, from JSON data or its binary section.</summary>
    public static float[] Floats(JsonObject json, Dictionary<string, byte[]> binary, string output)
    {
        if (binary.TryGetValue(output, out var bytes))
        {
            return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        }

        var tensor = json["outputs"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == output)!;
        return [.. tensor["data"]!.AsArray().Select(v => v!.GetValue<float>())];
    }

    /// <summary>BYTES elements in the protocol's binary form: a 4-byte little-endian length, then the bytes.</summary>
    public static byte[] LengthPrefixed(params string[] elements)
    {
        using var stream = new MemoryStream();
        foreach (var element in elements)
        {
            var bytes = Encoding.UTF8.GetBytes(element);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(prefix, bytes.Length);
            stream.Write(prefix);
            stream.Write(bytes);
        }

        return stream.ToArray();
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    public static JsonElement ErrorOf(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error");
}
