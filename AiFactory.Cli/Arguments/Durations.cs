using System.CommandLine.Parsing;
using System.Globalization;

namespace AiFactory.Cli.Arguments;

/// <summary>Durations as people type them: <c>90</c> or <c>90s</c>, <c>10m</c>, <c>1h</c>.</summary>
internal static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var (digits, unit) = text.Length > 0 && char.IsAsciiLetter(text[^1]) ? (text[..^1], text[^1]) : (text, 's');
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0)
        {
            return false;
        }

        TimeSpan? parsed = unit switch
        {
            's' => TimeSpan.FromSeconds(count),
            'm' => TimeSpan.FromMinutes(count),
            'h' => TimeSpan.FromHours(count),
            _ => null,
        };
        duration = parsed ?? default;
        return parsed is not null;
    }

    /// <summary>A System.CommandLine parser for a duration option; a bad one is a usage error naming the option.</summary>
    public static TimeSpan Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (TryParse(text, out var duration))
        {
            return duration;
        }

        result.AddError($"'{text}' is not a duration: write seconds (90 or 90s), minutes (10m) or hours (1h)");
        return default;
    }
}
