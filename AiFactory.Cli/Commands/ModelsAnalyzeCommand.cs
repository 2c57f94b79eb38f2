using System.CommandLine;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Commands;

/// <summary>
/// <c>aifactory models analyze &lt;model&gt; &lt;version&gt; --p95 50 [--apply]</c>: the analyzer's sweep of the version's
/// serving configurations, printed as a table with the recommendation; <c>--apply</c> makes it a new version.
/// </summary>
internal static class ModelsAnalyzeCommand
{
    // The gateway waits up to Analyzer:Timeout (5 min) for a replica; a little more here.
    private static readonly TimeSpan AnalysisTimeout = TimeSpan.FromMinutes(6);

    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var version = new Argument<string>("version") { Description = "The ready version to analyze" };
        var p95 = new Option<double?>("--p95") { Description = "Objective: the 95th percentile latency must be at most this many ms", HelpName = "ms" };
        var p99 = new Option<double?>("--p99") { Description = "Objective: the 99th percentile latency must be at most this many ms", HelpName = "ms" };
        var seconds = new Option<double?>("--seconds-per-point") { Description = "How long each point is measured [default: 1]", HelpName = "seconds" };
        var apply = new Option<bool>("--apply") { Description = "Make the recommendation a new version (it then validates like any)" };
        var analyze = new Command("analyze", "Sweep the version's serving configurations under generated load and recommend the fastest that meets the objective")
        {
            model, version, p95, p99, seconds, apply,
        };
        context.SetAction(analyze, async (parse, session, cancellationToken) =>
        {
            var objective = (parse.GetValue(p95), parse.GetValue(p99)) switch
            {
                ({ } ms, null) => new JsonObject { ["percentile"] = 95, ["latency_ms"] = ms },
                (null, { } ms) => new JsonObject { ["percentile"] = 99, ["latency_ms"] = ms },
                _ => throw CommandFailedException.Usage("give the objective as exactly one of --p95 <ms> or --p99 <ms>"),
            };
            var body = new JsonObject { ["objective"] = objective, ["seconds_per_point"] = parse.GetValue(seconds) };
            var analysis = await session.Api.SendJsonAsync(HttpMethod.Post, AdminPaths.Analyze(parse.GetRequiredValue(model), parse.GetRequiredValue(version)),
                body, cancellationToken, AnalysisTimeout);
            if (!parse.GetValue(apply))
            {
                return session.Write(analysis, WriteAnalysis);
            }

            var derived = await session.Api.SendJsonAsync(HttpMethod.Post, AdminPaths.ApplyAnalysis(Format.Text(analysis["id"])), null, cancellationToken);
            return session.Write(new JsonObject { ["analysis"] = analysis.DeepClone(), ["applied"] = derived.DeepClone() }, (output, both) =>
            {
                WriteAnalysis(output, both["analysis"]!);
                output.WriteLine();
                output.WriteLine(Format.Printable($"applied: version {Format.Text(derived["version"])} ({Format.Text(derived["state"])}), made from version "
                                                  + $"{Format.Text(derived["lineage"]?["parent"])} with {Format.Text(derived["lineage"]?["transform"]?["changes"])}"));
            });
        });
        return analyze;
    }

    public static void WriteAnalysis(TextWriter output, JsonNode analysis)
    {
        var table = new TextTable("", "MAX_BATCH", "DELAY_US", "INSTANCES", "THREADS", "PROVIDER", "CONCURRENCY", "THROUGHPUT/S", "P50_MS", "P95_MS", "P99_MS", "MEETS");
        foreach (var row in analysis["table"] as JsonArray ?? [])
        {
            var settings = row?["settings"];
            table.Add(row?["baseline"]?.GetValue<bool>() == true ? "shipped" : "", Format.Text(settings?["max_batch_size"]), Format.Text(settings?["max_queue_delay_us"]),
                Format.Text(settings?["instance_count"]), Format.Text(settings?["intra_op_threads"]), Format.Text(settings?["execution_provider"]),
                Format.Text(row?["concurrency"]), Format.Text(row?["throughput_per_s"]), Format.Text(row?["p50_ms"]), Format.Text(row?["p95_ms"]),
                Format.Text(row?["p99_ms"]), row?["error"] is { } error ? $"error: {Format.Text(error)}" : row?["meets_objective"]?.GetValue<bool>() == true ? "yes" : "no");
        }

        output.WriteLine(Format.Printable($"analysis {Format.Text(analysis["id"])} of {Format.Text(analysis["model"])} version {Format.Text(analysis["version"])}, "
                                          + $"objective p{Format.Text(analysis["objective"]?["percentile"])} ≤ {Format.Text(analysis["objective"]?["latency_ms"])} ms"));
        table.Write(output);
        foreach (var note in analysis["notes"] as JsonArray ?? [])
        {
            output.WriteLine(Format.Printable($"note: {Format.Text(note)}"));
        }

        output.WriteLine(Format.Printable($"answer: {Format.Text(analysis["answer"])}"));
        if (analysis["recommendation"]?["changes"] is JsonObject { Count: > 0 } changes)
        {
            output.WriteLine(Format.Printable($"recommended changes: {changes.ToJsonString()} (apply: aifactory models analyze ... --apply, or POST /api/admin/analyses/{Format.Text(analysis["id"])}/apply)"));
        }
    }
}
