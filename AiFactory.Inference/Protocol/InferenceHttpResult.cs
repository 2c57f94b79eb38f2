using System.Buffers;
using System.Text.Json;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol;

/// <summary>
/// Writes an inference response straight to the body: JSON, or JSON followed by the binary section of the outputs
/// asked for as binary (with <c>Inference-Header-Content-Length</c> giving the JSON's length).
/// </summary>
public sealed class InferenceHttpResult(
    LoadedModel model, string? id, Dictionary<string, JsonElement>? parameters, IReadOnlyList<Tensor> outputs, bool[] binary) : IResult
{
    /// <summary>
    /// The version that answered, on every inference response (REST and gRPC), so the gateway can meter and cache by
    /// version without parsing bodies.
    /// </summary>
    public const string ModelVersionHeader = "x-aifactory-model-version";

    /// <summary>The model that answered: for gRPC calls the gateway would otherwise have to parse the message.</summary>
    public const string ModelNameHeader = "x-aifactory-model";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var json = new ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(json))
        {
            WriteJson(writer);
        }

        var response = httpContext.Response;
        response.Headers[ModelNameHeader] = model.Name;
        response.Headers[ModelVersionHeader] = model.Version;
        var binaryLength = outputs.Where((_, i) => binary[i]).Sum(output => (long)output.Data.Length);
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
        for (var i = 0; i < outputs.Count; i++)
        {
            if (binary[i])
            {
                await response.Body.WriteAsync(outputs[i].Data, httpContext.RequestAborted);
            }
        }
    }

    private void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("model_name", model.Name);
        writer.WriteString("model_version", model.Version);
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
        for (var i = 0; i < outputs.Count; i++)
        {
            var output = outputs[i];
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
