using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AiFactory.Inference.Analysis;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiFactory.Benchmarks;

/// <summary>
/// The issue's analyzer target on the classifier: the analyzer in process (the same <see cref="ConfigAnalyzer"/> a
/// replica runs, with its default sweep) against its shipped config.json, and whether the recommended config beats
/// the shipped config's throughput at the same p95 objective. Writes the section <c>## Analyzer</c> of a Markdown
/// file, keeping the rest of the file.
/// </summary>
internal static class AnalyzerBenchmark
{
    public const string Heading = "## Analyzer";

    public static async Task<string> RunAsync(double p95Ms, double secondsPerPoint, string command)
    {
        var modelPath = Paths.Model("text-direction");
        var config = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(modelPath))!, "config.json")))!;
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var analyzer = new ConfigAnalyzer(new SessionFactory(NullLogger<SessionFactory>.Instance), new InferenceMetrics(services.GetRequiredService<IMeterFactory>()),
            NullLogger<ConfigAnalyzer>.Instance);
        Console.WriteLine($"analyzing text-direction: p95 ≤ {p95Ms} ms, {secondsPerPoint} s a point, {Environment.ProcessorCount} cores");
        var result = await analyzer.AnalyzeFileAsync("text-direction", 1, modelPath, config, new LatencyObjective(95, p95Ms), null, secondsPerPoint, CancellationToken.None);
        return Section(result, command);
    }

    /// <summary>Replaces the <see cref="Heading"/> section of <paramref name="document"/> (up to the next <c>## </c> heading), or appends it.</summary>
    public static string Replace(string document, string section)
    {
        var lines = document.Split('\n').ToList();
        var start = lines.FindIndex(line => line.TrimEnd() == Heading);
        if (start < 0)
        {
            return document.TrimEnd('\n') + "\n\n" + section;
        }

        var end = lines.FindIndex(start + 1, line => line.StartsWith("## ", StringComparison.Ordinal));
        var after = end < 0 ? "" : "\n" + string.Join('\n', lines.Skip(end));
        return string.Join('\n', lines.Take(start)) + "\n" + section + after;
    }

    private static string Section(AnalysisResult result, string command)
    {
        var objective = new LatencyObjective(95, result.Objective.LatencyMs);
        var shipped = RecommendationRule.Choose(result.Baseline, objective);
        var recommended = result.Recommendation?.Row;
        var text = new StringBuilder();
        text.AppendLine(Heading).AppendLine();
        text.AppendLine(Invariant($"`{command}` ({DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores). The classifier (`text-direction`) and its ",
                                  $"shipped `config.json`, analyzed in process by the analyzer a replica runs (`POST /internal/analyze`), default sweep: ",
                                  $"{result.Table.Count / Math.Max(1, result.Baseline.Count)} configurations × {result.Baseline.Count} concurrency levels, ",
                                  $"{result.SecondsPerPoint} s a point, objective p95 ≤ {result.Objective.LatencyMs} ms. Each row is the configuration's best ",
                                  $"point that meets the objective."));
        if (File.Exists("/proc/loadavg"))
        {
            // The machine is shared: say how busy it was, since every figure below depends on it.
            text.AppendLine().AppendLine($"Load average when the run ended (1, 5, 15 min): {string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}.");
        }

        foreach (var note in result.Notes)
        {
            text.AppendLine().AppendLine(note + ".");
        }

        text.AppendLine().AppendLine("| config | settings | concurrency | throughput (items/s) | p50 ms | p95 ms | p99 ms |").AppendLine("|---|---|---|---|---|---|---|");
        text.AppendLine(Row("shipped", shipped));
        text.AppendLine(Row("recommended", recommended));
        text.AppendLine();
        text.AppendLine($"Answer: {result.Answer}.").AppendLine();
        text.AppendLine(Verdict(shipped, recommended, result));
        text.AppendLine().AppendLine("<details><summary>Every point measured</summary>").AppendLine();
        text.AppendLine("| settings | concurrency | throughput (items/s) | p50 ms | p95 ms | p99 ms | meets |").AppendLine("|---|---|---|---|---|---|---|");
        foreach (var row in result.Table)
        {
            text.AppendLine(Invariant($"| {(row.Baseline ? "**shipped** " : "")}{Settings(row)} | {row.Concurrency} | {row.ThroughputPerSecond:0.#} | {row.P50Ms:0.##} | ",
                                      $"{row.P95Ms:0.##} | {row.P99Ms:0.##} | {(row.Error ?? (row.MeetsObjective ? "yes" : "no"))} |"));
        }

        text.AppendLine().AppendLine("</details>");
        return text.ToString();
    }

    private static string Verdict(AnalysisRow? shipped, AnalysisRow? recommended, AnalysisResult result) => (shipped, recommended) switch
    {
        (_, null) => $"Goal \"recommended config beats the shipped config's throughput at the same p95 objective\": **not met**: {result.Answer}.",
        ({ } baseline, { Baseline: false } chosen) => Invariant(
            $"Goal \"recommended config beats the shipped config's throughput at the same p95 objective\": **met**: {chosen.ThroughputPerSecond:0.#} against ",
            $"{baseline.ThroughputPerSecond:0.#} items/s ({chosen.ThroughputPerSecond / baseline.ThroughputPerSecond:0.00}×)."),
        (null, { } chosen) => Invariant(
            $"Goal: **met**: the shipped config met the objective at no measured load; the recommended one reaches {chosen.ThroughputPerSecond:0.#} items/s."),
        _ => "Goal \"recommended config beats the shipped config's throughput at the same p95 objective\": **not met**: the shipped config was the best measured.",
    };

    private static string Row(string name, AnalysisRow? row) => row is null
        ? $"| {name} | none meets the objective | | | | | |"
        : Invariant($"| {name} | {Settings(row)} | {row.Concurrency} | {row.ThroughputPerSecond:0.#} | {row.P50Ms:0.##} | {row.P95Ms:0.##} | {row.P99Ms:0.##} |");

    private static string Settings(AnalysisRow row) =>
        Invariant($"max_batch_size {row.Settings.MaxBatchSize}, delay {row.Settings.MaxQueueDelayUs?.ToString(CultureInfo.InvariantCulture) ?? "-"} µs, ",
                  $"{row.Settings.InstanceCount} instance(s), intra_op_threads {row.Settings.IntraOpThreads}, {row.Settings.ExecutionProvider}");

    private static string Invariant(params FormattableString[] parts) => string.Concat(parts.Select(part => part.ToString(CultureInfo.InvariantCulture)));
}
