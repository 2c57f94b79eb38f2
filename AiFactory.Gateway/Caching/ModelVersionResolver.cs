using System.Text.Json;

namespace AiFactory.Gateway.Caching;

/// <summary>
/// The version inference serves for a request that names none: the highest version in the model's metadata, asked
/// at the moment of the request so a cached answer of an older version can never stand in for a newer one.
/// </summary>
public sealed class ModelVersionResolver(HttpClient inference)
{
    /// <summary>Named client; its base address is the inference service as service discovery knows it.</summary>
    public const string ClientName = "inference-metadata";

    /// <summary>The version, or null when inference does not know the model or cannot be asked.</summary>
    public async Task<string?> ResolveAsync(string model, CancellationToken cancellationToken)
    {
        using var response = await inference.GetAsync($"/v2/models/{Uri.EscapeDataString(model)}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var metadata = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        if (!metadata.RootElement.TryGetProperty("versions", out var versions) || versions.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        long? latest = null;
        foreach (var version in versions.EnumerateArray())
        {
            if (long.TryParse(version.GetString(), out var number) && number > (latest ?? 0))
            {
                latest = number;
            }
        }

        return latest?.ToString();
    }
}
