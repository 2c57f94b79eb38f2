using System.Globalization;
using System.Text.Json.Nodes;

namespace AiFactory.Dashboard.Models;

/// <summary>
/// What the Models page shows of a version's validation report (registry contract: drift, latency profile, recommended
/// batch size, problems, and accuracy: an OCR sample model's task headline and the version's own labelled set, each
/// beside the version taking traffic). A report still being written, or one without a part, reads as a dash, never as an error.
/// </summary>
public sealed record VersionReport(string Drift, string Latency, string Recommended, IReadOnlyList<string> Problems, string Task = "—", string Labelled = "—")
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
        return new(drift, profile.Length == 0 ? None : string.Join("; ", profile), recommended, problems, TaskOf(json["task"]), LabelledOf(json["labelled_set"]));
    }

    /// <summary>"character accuracy (1 − CER) 0.986 vs v1 0.99 (Δ -0.004)", or why it was not measured.</summary>
    private static string TaskOf(JsonNode? task)
    {
        if (task is not JsonObject json)
        {
            return None;
        }

        if (json["skipped"] is JsonValue skipped)
        {
            return $"not measured: {skipped}";
        }

        var headline = json["headline"];
        var reference = Number(headline?["reference"]) is { } value
            ? $" vs v{json["reference_version"]} {Format(value)} (Δ {Signed(Number(headline?["difference"]))})"
            : "";
        return $"{headline?["name"]} {Format(Number(headline?["candidate"]))}{reference}";
    }

    /// <summary>"argmax_accuracy 1 on 2 samples vs v1 0.5", or why the set was not scored.</summary>
    private static string LabelledOf(JsonNode? labelled)
    {
        if (labelled is not JsonObject json)
        {
            return None;
        }

        if (json["error"] is JsonValue error)
        {
            return $"not scored: {error}";
        }

        var reference = json["reference"] is JsonObject scored ? $" vs v{json["reference_version"]} {Score(scored)}" : "";
        return $"{json["metric"]} {Score(json["candidate"])} on {json["samples"]} samples{reference}";
    }

    private static string Score(JsonNode? score) =>
        score?["error"] is JsonValue error ? $"not scored ({error})" : Format(Number(score?["score"]));

    private static string Signed(double? value) => value is { } number ? number.ToString("+0.###;-0.###;0", CultureInfo.InvariantCulture) : None;

    private static double? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue(out double number) ? number : null;

    private static string Format(double? value) => value is { } number ? number.ToString("0.###", CultureInfo.InvariantCulture) : None;
}
