using System.CommandLine.Parsing;
using System.Globalization;

namespace AiFactory.Cli.Arguments;

/// <summary>Times for <c>--from</c>/<c>--to</c>: ISO 8601 (<c>2026-11-28</c>, <c>2026-11-28T10:00:00Z</c>), UTC unless an offset is given.</summary>
internal static class Timestamps
{
    public static DateTimeOffset? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time.ToUniversalTime();
        }

        result.AddError($"'{text}' is not a time: write ISO 8601, e.g. 2026-11-28 or 2026-11-28T10:00:00Z");
        return null;
    }

    /// <summary>The form the admin API's query parameters take.</summary>
    public static string? ToQuery(DateTimeOffset? time) => time?.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
