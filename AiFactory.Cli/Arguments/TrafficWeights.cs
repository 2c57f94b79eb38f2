using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json.Nodes;

namespace AiFactory.Cli.Arguments;

/// <summary>
/// Traffic weights as typed: <c>2=90 3=10</c>, each a version (a positive integer) and a whole percent, every
/// version once, summing to 100. Checked here so a typo costs no round trip; the gateway checks again.
/// </summary>
internal sealed class TrafficWeights
{
    private TrafficWeights(SortedDictionary<int, int> percents) => Percents = percents;

    /// <summary>Percent by version, in version order.</summary>
    public IReadOnlyDictionary<int, int> Percents { get; }

    public static bool TryParse(IEnumerable<string> tokens, out TrafficWeights weights, out string error)
    {
        weights = new TrafficWeights([]);
        var percents = new SortedDictionary<int, int>();
        foreach (var token in tokens)
        {
            if (Problem(token, out var version, out var percent) is { } problem)
            {
                error = problem;
                return false;
            }

            if (!percents.TryAdd(version, percent))
            {
                error = $"version {version} is given twice";
                return false;
            }
        }

        var sum = percents.Values.Sum();
        if (percents.Count == 0 || sum != 100)
        {
            error = percents.Count == 0 ? "no weights: give <version>=<percent> pairs, e.g. 1=90 2=10" : $"the weights sum to {sum}, not 100";
            return false;
        }

        weights = new TrafficWeights(percents);
        error = "";
        return true;
    }

    /// <summary>A System.CommandLine parser for the weights argument; a bad one is a usage error saying what is wrong.</summary>
    public static TrafficWeights? Parse(ArgumentResult result)
    {
        if (TryParse(result.Tokens.Select(token => token.Value), out var weights, out var error))
        {
            return weights;
        }

        result.AddError(error);
        return null;
    }

    /// <summary>The API's shape: <c>{"1": 90, "2": 10}</c>.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var (version, percent) in Percents)
        {
            json[version.ToString(CultureInfo.InvariantCulture)] = percent;
        }

        return json;
    }

    private static string? Problem(string token, out int version, out int percent)
    {
        version = percent = 0;
        var separator = token.IndexOf('=');
        if (separator < 0)
        {
            return $"'{token}' is not a weight: write <version>=<percent>, e.g. 2=10";
        }

        var (versionText, percentText) = (token[..separator], token[(separator + 1)..]);
        // Canonical, as the gateway names versions: digits only, no sign, no leading zero.
        if (!IsDigits(versionText) || versionText[0] == '0' || !int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out version))
        {
            return $"'{token}': the version must be a positive integer";
        }

        if (!IsDigits(percentText) || !int.TryParse(percentText, NumberStyles.None, CultureInfo.InvariantCulture, out percent) || percent > 100)
        {
            return $"'{token}': the percent must be a whole number from 0 to 100";
        }

        return null;
    }

    private static bool IsDigits(string text) => text.Length is > 0 and <= 9 && text.All(char.IsAsciiDigit);
}
