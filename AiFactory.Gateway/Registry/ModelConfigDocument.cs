using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Gateway.Errors;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// A version's <c>config.json</c> as an upload carries it: a JSON object of at most <see cref="MaxBytes"/>. Its
/// fields are the inference service's to judge: validation refuses a version whose config it cannot use.
/// </summary>
public static class ModelConfigDocument
{
    public const int MaxBytes = 64 * 1024;

    /// <summary>The config as compact JSON; <c>{}</c> when none is given.</summary>
    /// <exception cref="RequestRefusedException">400 naming <c>config</c>: too large, not JSON, or not an object.</exception>
    public static string Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "{}";
        }

        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            throw RequestRefusedException.BadRequest($"'config' is larger than {MaxBytes} bytes");
        }

        JsonNode? config;
        try
        {
            config = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw RequestRefusedException.BadRequest($"'config' is not valid JSON: {e.Message}");
        }

        return config is JsonObject ? config.ToJsonString()
            : throw RequestRefusedException.BadRequest("'config' must be a JSON object (the version's config.json)");
    }

    /// <summary>Reads a config sent as a part of a multipart upload: at most <see cref="MaxBytes"/>, counted as it arrives.</summary>
    public static async Task<string> ReadAsync(Stream part, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxBytes + 1];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await part.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
        {
            filled += read;
        }

        if (filled > MaxBytes)
        {
            throw RequestRefusedException.BadRequest($"'config' is larger than {MaxBytes} bytes");
        }

        try
        {
            return Parse(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, filled));
        }
        catch (DecoderFallbackException)
        {
            throw RequestRefusedException.BadRequest("'config' is not UTF-8 text");
        }
    }
}
