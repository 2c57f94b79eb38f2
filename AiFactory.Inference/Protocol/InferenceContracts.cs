using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiFactory.Inference.Protocol;

// The Open Inference Protocol (KServe v2) REST bodies, named as the spec names them.

public sealed record InferenceRequest
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("parameters")] public Dictionary<string, JsonElement>? Parameters { get; init; }
    [JsonPropertyName("inputs")] public List<RequestInput>? Inputs { get; init; }
    [JsonPropertyName("outputs")] public List<RequestOutput>? Outputs { get; init; }
}

public sealed record RequestInput
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("shape")] public long[]? Shape { get; init; }
    [JsonPropertyName("datatype")] public string? Datatype { get; init; }
    [JsonPropertyName("parameters")] public Dictionary<string, JsonElement>? Parameters { get; init; }

    /// <summary>Row-major tensor contents, flat or nested.</summary>
    [JsonPropertyName("data")] public JsonElement Data { get; init; }
}

public sealed record RequestOutput
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("parameters")] public Dictionary<string, JsonElement>? Parameters { get; init; }
}

public sealed record ServerMetadataResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("extensions")] string[] Extensions);

public sealed record ModelMetadataResponse
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("versions")] public required string[] Versions { get; init; }
    [JsonPropertyName("platform")] public required string Platform { get; init; }
    [JsonPropertyName("inputs")] public required List<TensorMetadata> Inputs { get; init; }
    [JsonPropertyName("outputs")] public required List<TensorMetadata> Outputs { get; init; }
    [JsonPropertyName("parameters")] public Dictionary<string, string>? Parameters { get; init; }
}

public sealed record TensorMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("shape")] long[] Shape);

/// <summary>One row of the <c>model_repository</c> extension's index.</summary>
public sealed record RepositoryIndexEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("reason")] string Reason);

public sealed record RepositoryIndexRequest([property: JsonPropertyName("ready")] bool? Ready);

/// <summary>Every protocol error: <c>{"error": "message"}</c>.</summary>
public sealed record ErrorResponse([property: JsonPropertyName("error")] string Error);

[JsonSerializable(typeof(InferenceRequest))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(ServerMetadataResponse))]
[JsonSerializable(typeof(ModelMetadataResponse))]
[JsonSerializable(typeof(List<RepositoryIndexEntry>))]
[JsonSerializable(typeof(RepositoryIndexRequest))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
