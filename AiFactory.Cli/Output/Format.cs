using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AiFactory.Cli.Output;

/// <summary>How values from the API read on a terminal.</summary>
internal static class Format
{
    /// <summary>
    /// Text from the server with control characters (escape sequences, line breaks) replaced by '?': a key name or a
    /// reason is data, and must not move the cursor or retitle the terminal of whoever lists it.
    /// </summary>
    public static string Printable(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(char.IsControl))
        {
            return text ?? "";
        }

        var printable = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            printable.Append(char.IsControl(c) ? '?' : c);
        }

        return printable.ToString();
    }

    /// <summary>A JSON value as text: strings without quotes, numbers as written, null and absent as "".</summary>
    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };

    /// <summary>Weights <c>{"2": 10, "1": 90}</c> as <c>1=90 2=10</c>, in version order; "-" when there are none.</summary>
    public static string Weights(JsonNode? weights)
    {
        if (weights is not JsonObject { Count: > 0 } versions)
        {
            return "-";
        }

        return string.Join(' ', versions
            .OrderBy(version => long.TryParse(version.Key, out var number) ? number : long.MaxValue)
            .ThenBy(version => version.Key, StringComparer.Ordinal)
            .Select(version => $"{version.Key}={Text(version.Value)}"));
    }

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    public static string Bytes(JsonNode? bytes) => bytes is JsonValue value && value.TryGetValue<long>(out var count) ? Bytes(count) : Text(bytes);

    /// <summary>A timestamp from the API in UTC to the second (<c>2026-11-28 10:00:00Z</c>); other text as it is.</summary>
    public static string Time(JsonNode? timestamp)
    {
        var text = Text(timestamp);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : text;
    }

    /// <summary>The first 12 hex digits of a SHA-256: enough to tell versions apart in a table.</summary>
    public static string ShortHash(JsonNode? sha256) => Text(sha256) is { Length: > 12 } hash ? hash[..12] : Text(sha256);

    public static string List(JsonNode? items) =>
        items is JsonArray array ? string.Join(',', array.Select(Text)) : items is null ? "-" : Text(items);

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
