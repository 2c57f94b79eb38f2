using System.Text.Json;

namespace AiFactory.Inference.Protocol.Rest;

/// <summary>
/// Reads an inference request with <see cref="Utf8JsonReader"/>. Tensor <c>data</c> is not parsed here: its raw
/// bytes are kept and decoded later, once the input's datatype and shape are known, straight into tensor bytes
/// (a DOM for 100k numbers costs more than the model run). Errors name the JSON path where the request broke.
/// </summary>
public static class InferenceRequestParser
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    public static InferenceRequest Parse(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span, Options);
        var path = "$";
        try
        {
            Read(ref reader);
            Expect(ref reader, JsonTokenType.StartObject, "the request body must be a JSON object");
            string? id = null;
            Dictionary<string, JsonElement>? parameters = null;
            List<RequestInput>? inputs = null;
            List<RequestOutput>? outputs = null;
            while (NextProperty(ref reader) is { } property)
            {
                path = "$." + property;
                switch (property)
                {
                    case "id": id = ReadString(ref reader); break;
                    case "parameters": parameters = ReadParameters(ref reader); break;
                    case "inputs": inputs = ReadArray(ref reader, ref path, ReadInput); break;
                    case "outputs": outputs = ReadArray(ref reader, ref path, ReadOutput); break;
                    default: reader.Skip(); break;
                }
            }

            path = "$";
            if (reader.Read())
            {
                throw new JsonException("unexpected content after the request object");
            }

            return new InferenceRequest { Id = id, Parameters = parameters, Inputs = inputs, Outputs = outputs };
        }
        catch (JsonException e)
        {
            throw InferenceError.InvalidArgument($"malformed JSON at {path}: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader's typed getters throw this for a token of the wrong type.
            throw InferenceError.InvalidArgument($"malformed JSON at {path}: {e.Message}");
        }

        RequestInput ReadInput(ref Utf8JsonReader reader, ref string path)
        {
            Expect(ref reader, JsonTokenType.StartObject, "an input must be an object");
            var input = new RequestInput();
            var prefix = path;
            while (NextProperty(ref reader) is { } property)
            {
                path = $"{prefix}.{property}";
                switch (property)
                {
                    case "name": input = input with { Name = ReadString(ref reader) }; break;
                    case "datatype": input = input with { Datatype = ReadString(ref reader) }; break;
                    case "shape": input = input with { Shape = ReadShape(ref reader) }; break;
                    case "parameters": input = input with { Parameters = ReadParameters(ref reader) }; break;
                    case "data":
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        input = input with { Data = json[start..(int)reader.BytesConsumed] };
                        break;
                    default: reader.Skip(); break;
                }
            }

            path = prefix;
            return input;
        }

        RequestOutput ReadOutput(ref Utf8JsonReader reader, ref string path)
        {
            Expect(ref reader, JsonTokenType.StartObject, "an output must be an object");
            var output = new RequestOutput();
            var prefix = path;
            while (NextProperty(ref reader) is { } property)
            {
                path = $"{prefix}.{property}";
                switch (property)
                {
                    case "name": output = output with { Name = ReadString(ref reader) }; break;
                    case "parameters": output = output with { Parameters = ReadParameters(ref reader) }; break;
                    default: reader.Skip(); break;
                }
            }

            path = prefix;
            return output;
        }
    }

    private delegate T ItemReader<T>(ref Utf8JsonReader reader, ref string path);

    private static List<T> ReadArray<T>(ref Utf8JsonReader reader, ref string path, ItemReader<T> readItem)
    {
        Expect(ref reader, JsonTokenType.StartArray, "must be an array");
        var prefix = path;
        var items = new List<T>();
        while (true)
        {
            path = $"{prefix}[{items.Count}]";
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                path = prefix;
                return items;
            }

            items.Add(readItem(ref reader, ref path));
        }
    }

    /// <summary>Moves to the next property's value and returns its name; null at the end of the object.</summary>
    private static string? NextProperty(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            return null;
        }

        var name = reader.GetString();
        Read(ref reader);
        return name;
    }

    private static string? ReadString(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? null : reader.GetString();

    private static long[] ReadShape(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartArray, "must be an array of integers");
        var shape = new List<long>(4);
        while (true)
        {
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return [.. shape];
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var dimension))
            {
                throw new JsonException($"dimension {shape.Count} is not an integer");
            }

            shape.Add(dimension);
        }
    }

    private static Dictionary<string, JsonElement>? ReadParameters(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartObject, "must be an object");
        var parameters = new Dictionary<string, JsonElement>();
        foreach (var property in JsonElement.ParseValue(ref reader).EnumerateObject())
        {
            parameters[property.Name] = property.Value;
        }

        return parameters;
    }

    private static void Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("the JSON ends too early");
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string problem)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException(problem);
        }
    }
}
