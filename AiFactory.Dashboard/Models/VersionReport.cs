using System.Globalization;
using System.Text.Json.Nodes;

namespace AiFactory.Dashboard.Models;

/// <summary>
/// What the Models page shows of a version's validation report (registry contract: drift, latency profile, recommended
/// batch size, problems). A report still being written, or one without a part, reads as a dash, never as an error.
/// </summary>
public sealed record VersionReport(string Drift, string Latency, string Recommended, IReadOnlyList<string> Problems)
{
    private const string None = "—";

    public static VersionReport Of(JsonNode? report)
    {
        if (report is not JsonObject json)
        {
            return new(None, None, None, []);
        }

        var drift = json["drift"] is JsonObject d && Number(d["max_abs_diff"]) is { } diff
            ? $"max |Δ| {Format(diff)} vs v{d["reference_version"]}, argmax agreement {Format(Number(d["argmax_agreement"]) * 100)}%"
            : None;
        var profile = (json["latency"]?["profile"] as JsonArray)?.OfType<JsonObject>()
            .Select(point => $"b{point["batch_size"]}: p50 {Format(Number(point["p50_ms"]))} ms, p95 {Format(Number(point["p95_ms"]))} ms")
            .ToArray() ?? [];
        var recommended = json["latency"]?["recommended_max_batch_size"] is JsonValue batch ? $"max_batch_size {batch}" : None;
        var problems = (json["problems"] as JsonArray)?.Select(problem => problem?.ToString() ?? "").Where(problem => problem.Length > 0).ToArray() ?? [];
        return new(drift, profile.Length == 0 ? None : string.Join("; ", profile), recommended, problems);
    }

    private static double? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue(out double number) ? number : null;

    private static string Format(double? value) => value is { } number ? number.ToString("0.###", CultureInfo.InvariantCulture) : None;
}
