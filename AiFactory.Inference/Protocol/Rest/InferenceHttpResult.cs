using System.Buffers;
using System.Text.Json;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol.Rest;

/// <summary>
/// Writes an inference response straight to the body: JSON, or JSON followed by the binary section of the outputs
/// asked for as binary (with <c>Inference-Header-Content-Length</c> giving the JSON's length).
/// </summary>
public sealed class InferenceHttpResult(
    InferenceResult result, string? id, Dictionary<string, JsonElement>? parameters, bool[] binary) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var json = new ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(json))
        {
            WriteJson(writer);
        }

        var response = httpContext.Response;
        response.Headers[ModelHeaders.Name] = result.ModelName;
        response.Headers[ModelHeaders.Version] = result.ModelVersion;
        var binaryLength = result.Outputs.Where((_, i) => binary[i]).Sum(output => (long)output.Data.Length);
        response.ContentLength = json.WrittenCount + binaryLength;
        if (binaryLength == 0 && !binary.Any(b => b))
        {
            response.ContentType = "application/json";
            await response.Body.WriteAsync(json.WrittenMemory, httpContext.RequestAborted);
            return;
        }

        response.ContentType = "application/octet-stream";
        response.Headers[InferenceRequestReader.HeaderLengthHeader] = json.WrittenCount.ToString();
        await response.Body.WriteAsync(json.WrittenMemory, httpContext.RequestAborted);
        for (var i = 0; i < result.Outputs.Count; i++)
        {
            if (binary[i])
            {
                await response.Body.WriteAsync(result.Outputs[i].Data, httpContext.RequestAborted);
            }
        }
    }

    private void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("model_name", result.ModelName);
        writer.WriteString("model_version", result.ModelVersion);
        if (id is not null)
        {
            writer.WriteString("id", id);
        }

        if (parameters is not null)
        {
            writer.WritePropertyName("parameters");
            JsonSerializer.Serialize(writer, parameters, ProtocolJsonContext.Default.DictionaryStringJsonElement);
        }

        writer.WriteStartArray("outputs");
        for (var i = 0; i < result.Outputs.Count; i++)
        {
            var output = result.Outputs[i];
            writer.WriteStartObject();
            writer.WriteString("name", output.Name);
            writer.WriteString("datatype", output.Datatype);
            writer.WriteStartArray("shape");
            foreach (var dimension in output.Shape)
            {
                writer.WriteNumberValue(dimension);
            }

            writer.WriteEndArray();
            if (binary[i])
            {
                writer.WriteStartObject("parameters");
                writer.WriteNumber(RestInference.BinaryDataSize, output.Data.Length);
                writer.WriteEndObject();
            }
            else
            {
                writer.WritePropertyName("data");
                JsonTensorData.Encode(writer, output);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
