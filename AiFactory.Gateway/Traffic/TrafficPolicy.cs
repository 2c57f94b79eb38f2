using System.Collections.Immutable;
using System.Text.Json;

namespace AiFactory.Gateway.Traffic;

/// <summary>One version's share of a model's traffic, in percent.</summary>
public readonly record struct VersionWeight(int Version, int Percent);

/// <summary>
/// A traffic policy as the registry stores it (<c>traffic_policies</c>): the weights over versions, in ascending
/// version order, and the policy a rollback would return to.
/// </summary>
public sealed record TrafficPolicy(long Id, string Model, ImmutableArray<VersionWeight> Weights, long? ParentId)
{
    /// <summary>The weights column (<c>{"&lt;version&gt;": percent}</c>); null when it is not that shape.</summary>
    public static ImmutableArray<VersionWeight>? ParseWeights(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var weights = new List<VersionWeight>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!int.TryParse(property.Name, System.Globalization.NumberStyles.None, null, out var version) || version <= 0
                    || property.Name != version.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    || !property.Value.TryGetInt32(out var percent) || percent is < 0 or > 100)
                {
                    return null;
                }

                weights.Add(new VersionWeight(version, percent));
            }

            return weights.Sum(weight => weight.Percent) == 100 ? [.. weights.OrderBy(weight => weight.Version)] : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The version with the largest weight (ties: the older one): the stable version while others are canaries.</summary>
    public int Stable => Weights.OrderByDescending(weight => weight.Percent).ThenBy(weight => weight.Version).First().Version;

    /// <summary>For messages and figures: <c>1=90 2=10</c>.</summary>
    public static string Describe(IEnumerable<VersionWeight> weights) => string.Join(" ", weights.Select(weight => $"{weight.Version}={weight.Percent}"));
}
