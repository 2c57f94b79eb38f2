using System.Text.Json.Serialization;

namespace AiFactory.Inference.Registry;

/// <summary>
/// One model version the registry wants this replica to serve: where its artifact is, what it must hash to, and the
/// version's <c>config.json</c> as the registry stores it.
/// </summary>
public sealed record DesiredVersion(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("storage_key")] string StorageKey,
    [property: JsonPropertyName("config")] string Config)
{
    /// <summary>The version as the protocol and the repository name it.</summary>
    [JsonIgnore]
    public string VersionText => Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
