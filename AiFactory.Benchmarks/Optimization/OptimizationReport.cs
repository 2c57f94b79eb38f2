using System.Globalization;
using System.Text;

namespace AiFactory.Benchmarks.Optimization;

/// <summary>The <c>--optimize</c> table and the issue's goals beside it, as the section of docs/optimization.md it replaces.</summary>
public static class OptimizationReport
{
    public const string Heading = "## Optimized versions beside their parents";

    public static string ToMarkdown(IReadOnlyList<OptimizedVariant> variants, string command, decimal nodeHourPrice, string currency, double seconds, int rounds, int[] batchColumns)
    {
        var text = new StringBuilder();
        text.AppendLine(Heading);
        text.AppendLine();
        text.AppendLine("```bash");
        text.AppendLine(command);
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine(Invariant($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (shared with other builds), one run, ") +
                        "in-process ONNX Runtime through the server's SessionFactory with the default model config (intra_op_threads 0 = one per core, " +
                        Invariant($"graph_optimization_level all, CPU), one caller, {seconds} s per figure after a warmup, each figure the median of {rounds} rounds ") +
                        "in which a model's parent and children are timed in turn. " +
                        "Inputs for timing: random at the served shapes (direction [N,3,48,192], recognition [N,3,48,320], detection [N,3,640,640]; " +
                        "detection at batch 1 and 8 only). Drift: max / mean absolute difference of the first output from the FP32 parent's over the " +
                        "evaluation set inputs. Accuracy: the headline metric on the evaluation set, which is also int8-static's calibration set (the default for " +
                        "these models). Transforms with their default options (graph: basic; int8-static: minmax). Cost per 1,000 inferences: CPU node price " +
                        Invariant($"{nodeHourPrice} {currency}/h (Console:Cost:CpuNodeHourPrice) / (best throughput × 3600) × 1000."));
        text.AppendLine();
        text.Append("| model | transform | size MB | × parent | p50 ms batch 1 | p95 ms batch 1 | ");
        text.AppendLine(string.Join(" | ", batchColumns.Skip(1).Select(batch => $"items/s batch {batch}")) + " | drift max / mean | accuracy | cost per 1,000 |");
        text.AppendLine("|---|---|---:|---:|---:|---:|" + string.Concat(batchColumns.Skip(1).Select(_ => "---:|")) + "---:|---|---:|");
        var parents = variants.Where(variant => variant.Transform is null).ToDictionary(variant => variant.Model);
        foreach (var variant in variants.Where(variant => variant.Refusal is null))
        {
            var parent = parents[variant.Model];
            var drift = variant.Drift is { } d ? Invariant($"{d.Max:G3} / {d.Mean:G3}") : "—";
            var accuracy = variant.Headline is { } h ? Invariant($"{h.Name}: {h.Value:0.0000}") : "";
            var cost = nodeHourPrice / (decimal)Math.Max(variant.BestThroughput * 3600, 1e-9) * 1000;
            text.AppendLine(Invariant($"| {variant.Model} | {variant.Transform ?? "FP32 parent"} | {variant.Bytes / 1e6:F2} | {(double)variant.Bytes / parent.Bytes:F2} | ") +
                            Invariant($"{variant.P50Ms:F2} | {variant.P95Ms:F2} | ") +
                            string.Join(" | ", batchColumns.Skip(1).Select(batch => Rate(variant.ThroughputAt(batch)))) +
                            Invariant($" | {drift} | {accuracy} | {cost:0.00000} {currency} |"));
        }

        var refusals = variants.Where(variant => variant.Refusal is not null).ToList();
        if (refusals.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Refused (the transform does not apply):");
            text.AppendLine();
            foreach (var refused in refusals)
            {
                text.AppendLine($"- {refused.Model}, `{refused.Transform}`: {refused.Refusal}");
            }
        }

        text.AppendLine();
        Goals(text, variants, parents);
        return text.ToString();
    }

    /// <summary>Replaces the section under <see cref="Heading"/> (up to the next "## " heading) in <paramref name="document"/>, or appends it.</summary>
    public static string ReplaceSection(string document, string section)
    {
        var start = document.IndexOf(Heading, StringComparison.Ordinal);
        if (start < 0)
        {
            return document.TrimEnd() + Environment.NewLine + Environment.NewLine + section;
        }

        var next = document.IndexOf("\n## ", start + Heading.Length, StringComparison.Ordinal);
        return document[..start] + section + (next < 0 ? "" : Environment.NewLine + document[(next + 1)..]);
    }

    private static void Goals(StringBuilder text, IReadOnlyList<OptimizedVariant> variants, IReadOnlyDictionary<string, OptimizedVariant> parents)
    {
        text.AppendLine("Goals of issue 12, from this run:");
        text.AppendLine();
        text.AppendLine("| model | transform | goal | measured | met |");
        text.AppendLine("|---|---|---|---|---|");
        var measured = variants.Where(variant => variant.Refusal is null && variant.Transform is not null).ToList();

        var recognizer = measured.Where(v => v.Model == "text-recognition" && v.Transform!.StartsWith("int8", StringComparison.Ordinal))
            .OrderByDescending(v => v.ThroughputAt(8)).FirstOrDefault();
        if (recognizer is null)
        {
            text.AppendLine("| recognizer | best INT8 | ≥ 1.5× throughput at batch 8; character accuracy drop ≤ 1 point | no INT8 transform applied | not met |");
        }
        else
        {
            var parent = parents[recognizer.Model];
            var speedup = recognizer.ThroughputAt(8) / parent.ThroughputAt(8);
            var drop = (parent.Headline!.Value - recognizer.Headline!.Value) * 100;
            text.AppendLine(Invariant($"| recognizer | {recognizer.Transform} | ≥ 1.5× throughput at batch 8; character accuracy drop ≤ 1 point | ") +
                            Invariant($"{speedup:F2}× ({Rate(recognizer.ThroughputAt(8))} vs {Rate(parent.ThroughputAt(8))} items/s); drop {drop:F2} points | {Met(speedup >= 1.5 && drop <= 1)} |"));
        }

        var detector = measured.FirstOrDefault(v => v is { Model: "text-detection", Transform: "int8-static" });
        if (detector is null)
        {
            text.AppendLine("| detector | int8-static | ≥ 1.3× faster at 640×640 batch 1; box F1 drop ≤ 0.02 | not applied | not met |");
        }
        else
        {
            var parent = parents[detector.Model];
            var speedup = parent.P50Ms / detector.P50Ms;
            var drop = parent.Headline!.Value - detector.Headline!.Value;
            text.AppendLine(Invariant($"| detector | int8-static | ≥ 1.3× faster at 640×640 batch 1; box F1 drop ≤ 0.02 | ") +
                            Invariant($"{speedup:F2}× (p50 {detector.P50Ms:F1} vs {parent.P50Ms:F1} ms); F1 drop {drop:F4} | {Met(speedup >= 1.3 && drop <= 0.02)} |"));
        }

        var fp16 = measured.Where(v => v.Transform == "fp16").ToList();
        if (fp16.Count == 0)
        {
            text.AppendLine("| any model | fp16 | file ≤ 0.55× the size; drift and accuracy reported | fp16 not in this build's ModelTransforms.All | not measured |");
        }

        foreach (var variant in fp16)
        {
            var ratio = (double)variant.Bytes / parents[variant.Model].Bytes;
            text.AppendLine(Invariant($"| {variant.Model} | fp16 | file ≤ 0.55× the size; drift and accuracy reported | {ratio:F2}× the size; drift and accuracy in the table | {Met(ratio <= 0.55)} |"));
        }

        text.AppendLine("| classifier | analyzer | recommended config beats the shipped config's throughput at the same p95 objective | not measured by this benchmark (the analyzer's own) | — |");
    }

    private static string Met(bool met) => met ? "met" : "**not met**";

    private static string Rate(double itemsPerSecond) => double.IsNaN(itemsPerSecond) ? "—" : itemsPerSecond.ToString(itemsPerSecond < 100 ? "F1" : "F0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
