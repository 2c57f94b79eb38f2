using System.Text.Json.Nodes;

namespace AiFactory.Cli.Output;

/// <summary>A version and its validation report, one line per check (the report's shape: registry contract, "Validation").</summary>
internal static class ValidationSummary
{
    public static void Write(TextWriter output, JsonNode version)
    {
        var state = Format.Text(version["state"]);
        var reason = Format.Text(version["state_reason"]);
        output.WriteLine(Format.Printable($"{Format.Text(version["model"])} version {Format.Text(version["version"])}: {state}{(reason.Length > 0 ? $" ({reason})" : "")}"));
        output.WriteLine($"  sha256     {Format.Text(version["sha256"])}, {Format.Bytes(version["size_bytes"])}");
        if (version["validation"] is not JsonObject report)
        {
            output.WriteLine("  (no validation report)");
            return;
        }

        foreach (var (check, line) in Lines(report))
        {
            output.WriteLine(Format.Printable($"  {check,-10} {line}"));
        }
    }

    private static IEnumerable<(string Check, string Line)> Lines(JsonObject report)
    {
        if (report["load"] is { } load)
        {
            yield return ("load", Ok(load) != "ok" ? Ok(load) : $"ok: {Format.Text(load["provider"])}, opset {Format.Text(load["opset"])}, "
                                                                 + $"producer {Format.Text(load["producer"])}, {Format.Text(load["load_ms"])} ms");
        }

        if (report["signature"] is { } signature)
        {
            yield return ("signature", Signature(signature));
        }

        if (report["smoke"] is { } smoke)
        {
            yield return ("smoke", $"{Ok(smoke)}: {Format.Text(smoke["non_finite_outputs"])} non-finite outputs");
        }

        if (report["drift"] is JsonObject drift)
        {
            yield return ("drift", $"against version {Format.Text(drift["reference_version"])} on {Format.Text(drift["samples"])} samples: "
                                   + $"max abs diff {Format.Text(drift["max_abs_diff"])}, relative L2 {Format.Text(drift["relative_l2"])}, "
                                   + $"argmax agreement {Format.Text(drift["argmax_agreement"])}");
        }

        if (report["latency"] is JsonObject latency)
        {
            var profile = (latency["profile"] as JsonArray ?? []).Select(row =>
                $"batch {Format.Text(row?["batch_size"])} p50 {Format.Text(row?["p50_ms"])} ms p95 {Format.Text(row?["p95_ms"])} ms {Format.Text(row?["items_per_second"])}/s");
            yield return ("latency", string.Join("; ", profile.Append($"recommended max_batch_size {Format.Text(latency["recommended_max_batch_size"])}")));
        }

        if (report["config"] is { } config)
        {
            yield return ("config", Ok(config));
        }

        if (report["task"] is JsonObject task)
        {
            yield return ("task", Task(task));
        }

        if (report["labelled_set"] is JsonObject labelled)
        {
            yield return ("labelled", Labelled(labelled));
        }

        foreach (var problem in report["problems"] as JsonArray ?? [])
        {
            yield return ("problem", Format.Text(problem));
        }
    }

    private static string Signature(JsonNode signature)
    {
        var reference = Format.Text(signature["compatible_with"]);
        if (reference.Length == 0)
        {
            return "no version takes traffic yet: nothing to compare with";
        }

        if (signature["compatible"] is JsonValue compatible && compatible.TryGetValue<bool>(out var isCompatible) && !isCompatible)
        {
            var changes = (signature["changes"] as JsonArray ?? []).Select(Format.Text);
            return $"NOT compatible with version {reference}: {string.Join("; ", changes)} (traffic needs --force and a reason)";
        }

        return $"compatible with version {reference}";
    }

    private static string Task(JsonObject task)
    {
        if (Format.Text(task["skipped"]) is { Length: > 0 } skipped)
        {
            return $"not measured: {skipped}";
        }

        var headline = task["headline"];
        var reference = Format.Text(headline?["reference"]);
        return $"{Format.Text(headline?["name"])} {Format.Text(headline?["candidate"])}"
               + (reference.Length > 0 ? $" (version {Format.Text(task["reference_version"])}: {reference}, difference {Format.Text(headline?["difference"])})" : "")
               + $" on the {Format.Text(task["set"])}";
    }

    private static string Labelled(JsonObject labelled)
    {
        if (Format.Text(labelled["error"]) is { Length: > 0 } error)
        {
            return $"not scored: {error}";
        }

        var reference = labelled["reference"] is JsonObject scored ? $", version {Format.Text(labelled["reference_version"])}: {Score(scored)}" : "";
        return $"{Format.Text(labelled["metric"])} of '{Format.Text(labelled["output"])}' on {Format.Text(labelled["samples"])} samples: "
               + $"{Score(labelled["candidate"])}{reference}";
    }

    private static string Score(JsonNode? score) =>
        Format.Text(score?["error"]) is { Length: > 0 } error ? $"not scored ({error})"
        : Format.Text(score?["mean_abs_error"]) is { Length: > 0 } mean ? $"{Format.Text(score?["score"])} (mean {mean})"
        : Format.Text(score?["score"]);

    private static string Ok(JsonNode check) =>
        check["ok"] is JsonValue ok && ok.TryGetValue<bool>(out var passed) ? passed ? "ok" : "FAILED" : "?";
}
