using System.Text.Json;

namespace AiFactory.Gateway.Registry;

/// <summary>The registry's JSON: snake_case, as the admin API and the validation contract speak it.</summary>
public static class RegistryJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Weights as stored (<c>{"1": 90, "2": 10}</c>), in ascending version order.</summary>
    public static SortedDictionary<int, int> ParseWeights(string json) =>
        new(JsonSerializer.Deserialize<Dictionary<int, int>>(json) ?? []);

    /// <summary>Stored JSON text as an element the API can return as it is; null for SQL NULL.</summary>
    public static JsonElement? Element(string? text)
    {
        if (text is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
