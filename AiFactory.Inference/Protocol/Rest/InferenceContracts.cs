using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiFactory.Inference.Protocol.Rest;

// The Open Inference Protocol (KServe v2) REST bodies, named as the spec names them.

/// <summary>An inference request as <see cref="InferenceRequestParser"/> reads it.</summary>
public sealed record InferenceRequest
{
    public string? Id { get; init; }
    public Dictionary<string, JsonElement>? Parameters { get; init; }
    public List<RequestInput>? Inputs { get; init; }
    public List<RequestOutput>? Outputs { get; init; }
}

public sealed record RequestInput
{
    public string? Name { get; init; }
    public long[]? Shape { get; init; }
    public string? Datatype { get; init; }
    public Dictionary<string, JsonElement>? Parameters { get; init; }

    /// <summary>
    /// The <c>data</c> value as raw UTF-8 JSON (empty when absent): decoded only once the datatype and shape are
    /// known, straight into the tensor's bytes.
    /// </summary>
    public ReadOnlyMemory<byte> Data { get; init; }
}

public sealed record RequestOutput
{
    public string? Name { get; init; }
    public Dictionary<string, JsonElement>? Parameters { get; init; }
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

[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(ServerMetadataResponse))]
[JsonSerializable(typeof(ModelMetadataResponse))]
[JsonSerializable(typeof(List<RepositoryIndexEntry>))]
[JsonSerializable(typeof(RepositoryIndexRequest))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
