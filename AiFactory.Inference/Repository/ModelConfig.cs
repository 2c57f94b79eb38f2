using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiFactory.Inference.Repository;

/// <summary>
/// A model's <c>config.json</c>. Every field is optional; names and meanings follow Triton's model configuration.
/// </summary>
public sealed record ModelConfig
{
    public const string FileName = "config.json";

    public static ModelConfig Default { get; } = new();

    /// <summary>Largest batch the model accepts along its first dimension; 0 means the model is not batched.</summary>
    [JsonPropertyName("max_batch_size")]
    public int MaxBatchSize { get; init; }

    [JsonPropertyName("execution_provider")]
    public string ExecutionProvider { get; init; } = "auto";

    /// <summary>The parsed <see cref="ExecutionProvider"/>; valid once <see cref="Load"/> returned.</summary>
    [JsonIgnore]
    public ExecutionProvider Provider => Enum.Parse<ExecutionProvider>(ExecutionProvider, ignoreCase: true);

    /// <summary>Reads and validates <paramref name="path"/>; a missing file gives the defaults.</summary>
    /// <exception cref="ModelConfigException">The file is not valid; the message names the file and the field.</exception>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            return Default;
        }

        ModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(File.ReadAllText(path), RepositoryJsonContext.Default.ModelConfig);
        }
        catch (JsonException e)
        {
            throw new ModelConfigException(path, e.Path ?? "$", e.Message);
        }

        if (config is null)
        {
            throw new ModelConfigException(path, "$", "the file must hold a JSON object");
        }

        config.Validate(path);
        return config;
    }

    private void Validate(string path)
    {
        if (MaxBatchSize < 0)
        {
            throw new ModelConfigException(path, "max_batch_size", $"must be 0 or more, not {MaxBatchSize}");
        }

        if (!Enum.TryParse<ExecutionProvider>(ExecutionProvider, ignoreCase: true, out _) || int.TryParse(ExecutionProvider, out _))
        {
            throw new ModelConfigException(path, "execution_provider", $"'{ExecutionProvider}' is not one of auto, cuda, tensorrt, cpu");
        }
    }
}

/// <summary>A <c>config.json</c> that cannot be used; the message names the file and the field.</summary>
public sealed class ModelConfigException(string path, string field, string problem)
    : Exception($"{path}: '{field}' {problem}");

[JsonSerializable(typeof(ModelConfig))]
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class RepositoryJsonContext : JsonSerializerContext;
