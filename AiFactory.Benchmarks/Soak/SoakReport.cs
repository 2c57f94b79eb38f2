using System.Globalization;
using System.Text;

namespace AiFactory.Benchmarks.Soak;

/// <summary>The soak's Markdown report: the run, a verdict per goal, then the tables behind each verdict.</summary>
public static class SoakReport
{
    private const double Megabyte = 1024.0 * 1024.0;

    public static string ToMarkdown(SoakResult result)
    {
        var text = new StringBuilder();
        var ledger = result.Ledger;
        var loads = result.Watch.LoadAverages.Order().ToList();
        text.AppendLine("# Reliability: the soak");
        text.AppendLine();
        Reading(text, result.Settings);
        text.AppendLine($"## Soak run, {result.Started:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine();
        text.AppendLine($"Command: `{result.Command}`");
        text.AppendLine();
        text.AppendLine($"- **Machine:** {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}; " +
                        $"1-minute load average during the run {Format(loads.FirstOrDefault())} min, {Format(Median(loads))} median, {Format(loads.LastOrDefault())} max " +
                        "(everything below shares these cores: the load generator, the gateway, inference, Redis, PostgreSQL, and whatever else the machine ran); " +
                        $"load average (1, 5, 15 min) before the stack started {result.LoadBefore}, after the run {result.LoadAfter}.");
        text.AppendLine($"- **Stack:** {result.Settings.Replicas} inference replica(s) serving `models/` (text-direction, text-detection, their own `config.json`); " +
                        "the gateway (Production settings) with its own Redis (`scripts/run-redis.sh`, 256 MB, volatile-lru) and PostgreSQL (`scripts/run-postgres.sh`, the gateway's own role), " +
                        "started by the benchmark as the AppHost starts them locally.");
        text.AppendLine($"- **Load:** capacity {Format(result.Capacity)} requests/s (below); arrivals at {result.Settings.Load:P0} of it, **{Format(result.Rate)} requests/s**, open loop, " +
                        $"for a {result.Settings.WarmupMinutes:0.#}-minute warm-up and {result.Settings.Minutes:0.#} measured minutes: {result.Arrivals:N0} arrivals " +
                        $"({result.Started:HH:mm:ss}–{result.Ended:HH:mm:ss} UTC). The client fell at most {result.MaxSendLagMs:F0} ms behind its schedule.");
        text.AppendLine($"- **Keys:** unrestricted; restricted to `{SoakRequests.Direction}`; rate-limited at {result.RateLimitedRequestsPerSecond:0.##} requests/s " +
                        "(about half of what it is sent, so its 429s are expected answers).");
        text.AppendLine();

        Verdicts(text, result);
        Capacity(text, result);
        Requests(text, result);
        Errors(text, ledger);
        Minutes(text, result);
        Memory(text, result);
        Usage(text, result);
        return text.ToString();
    }

    // How to run it and read it: written with every report, so that a new run replaces the whole file.
    private static void Reading(StringBuilder text, SoakSettings settings)
    {
        text.AppendLine("""
            The whole stack (inference replicas, the gateway with its own Redis and PostgreSQL) under an open-loop load
            at a share of its capacity measured first, with a mix of API keys, both sample models, REST JSON, REST binary
            and gRPC, repeated bodies that the response cache answers, and 1 % hostile requests. The issue's run is 10
            minutes at 80 % of capacity after a 1-minute warm-up, with two inference replicas: the command's defaults.

            ```bash
            dotnet run -c Release --project AiFactory.Benchmarks -- --soak --output docs/reliability.md
            #   --minutes 10 --load 0.8 --warmup-minutes 1 --replicas 2   (the defaults)
            ```

            How to read it:

            - **Verdict** first: one line per goal, met or not with the measured figure. An error on a valid request
              is any answer but the expected one (a 429 of the rate-limited key is expected), a timeout, a transport
              failure, or an arrival the client could not send. A hostile request must be refused (a 4xx, or the gRPC
              status of one); a 5xx, a 2xx, a timeout or a transport failure on it is an error too.
            - **Capacity**: a closed-loop ramp, concurrency 1, 2, 4 … until throughput falls 10 % below the best;
              capacity is the best step. The soak then sends at a fixed arrival rate (open loop): a server that slows
              down shows as growing latency and errors, not as a client that quietly sends less.
            - **Latency per minute** is measured from each arrival's due time, so a client that falls behind its
              schedule shows too. A p99 that keeps growing from minute to minute means the stack is not keeping up.
            - **Memory**: each process after the warm-up and at the end, both under load; one process by its RSS,
              PostgreSQL's group of processes by PSS (RSS would count their shared buffers once per backend).
            - **Usage**: the rows the gateway wrote (`GET /api/admin/usage`, after its last flush) against what the
              client sent, per key, model and status; every difference is shown in bold.
            - The machine is shared: everything (the client included) runs on the cores named below, with whatever
              else the machine ran; the load averages say how busy it was. Quote medians and ratios, not single figures.
            """);
        text.AppendLine();
        if (settings.Minutes != 10 || settings.Load != 0.8 || settings.WarmupMinutes != 1)
        {
            text.AppendLine($"**This run is shorter or lighter than the issue's:** {settings.WarmupMinutes:0.#} + {settings.Minutes:0.#} minutes at {settings.Load:P0} " +
                            "of capacity. The issue's 10-minute run is the command above with the defaults.");
            text.AppendLine();
        }
    }

    private static void Verdicts(StringBuilder text, SoakResult result)
    {
        var verdict = SoakVerdict.Of(result.Ledger, result.Memory, result.Usage);
        var largest = verdict.LargestGrowth is { } worst ? $"{worst.Name} {Growth(worst)}" : "no process measured";
        var errorRate = verdict.ValidErrorPercent is { } percent ? string.Create(CultureInfo.InvariantCulture, $"{percent:0.###} %") : "—";
        text.AppendLine("### Verdict");
        text.AppendLine();
        text.AppendLine("| goal | measured | met? |");
        text.AppendLine("|---|---|---|");
        text.AppendLine($"| error rate on valid requests: 0 | {verdict.ValidErrors:N0} of {verdict.Valid:N0} ({errorRate}) | {Met(verdict.ErrorsMet)} |");
        text.AppendLine($"| hostile requests refused (4xx), none answered otherwise, failed or timed out | {verdict.HostileErrors:N0} of {verdict.Hostile:N0} not refused | {Met(verdict.HostileMet)} |");
        text.AppendLine($"| memory growth after the warm-up ≤ {MemoryGrowth.LimitPercent:0} % for every process | largest: {largest} | {Met(verdict.MemoryMet)} |");
        text.AppendLine($"| usage rows = requests sent, per key, model and status | {verdict.UsageWritten:N0} written for {verdict.UsageSent:N0} sent; " +
                        $"{verdict.CellsDiffering} of {verdict.Cells} cells differ; {verdict.Indeterminate} of unknown outcome | {Met(verdict.UsageMet)} |");
        text.AppendLine();
    }

    private static void Capacity(StringBuilder text, SoakResult result)
    {
        text.AppendLine("### Capacity (closed loop: the valid mix without the rate-limited key, 10 s per step)");
        text.AppendLine();
        text.AppendLine("| concurrency | requests/s | p50 ms | p95 ms | p99 ms | failures |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var (concurrency, measured) in result.Ramp)
        {
            text.AppendLine($"| {concurrency} | {Format(measured.ItemsPerSecond)} | {measured.P50Ms:F1} | {measured.P95Ms:F1} | {measured.P99Ms:F1} | {measured.Failures} |");
        }

        text.AppendLine();
        text.AppendLine($"Capacity: the best step, {Format(result.Capacity)} requests/s.");
        text.AppendLine();
    }

    private static void Requests(StringBuilder text, SoakResult result)
    {
        var outcomes = result.Ledger.Outcomes;
        text.AppendLine($"### Requests by kind ({result.Ledger.CacheHits:N0} answered from the cache)");
        text.AppendLine();
        text.AppendLine("| kind | hostile | key | usage counts it under | expected | sent | outcomes |");
        text.AppendLine("|---|---|---|---|---|---:|---|");
        foreach (var request in result.Mix.Valid.Concat(result.Mix.Hostile))
        {
            var seen = outcomes.GetValueOrDefault(request.Name) ?? [];
            text.AppendLine($"| {request.Name} | {(request.Hostile ? "yes" : "")} | {request.Key} | " +
                            $"{(request.Metered ? $"`{request.MeteredModel}`" : "not metered")} | {string.Join(", ", request.Expected)} | {seen.Values.Sum():N0} | " +
                            $"{string.Join(", ", seen.OrderByDescending(outcome => outcome.Value).Select(outcome => $"{outcome.Key}: {outcome.Value:N0}"))} |");
        }

        text.AppendLine();
        text.AppendLine("A hostile request is an error when it is not refused (a 2xx, a 5xx, a timeout, a transport failure); a refusal other than the expected one is listed but is no error.");
        text.AppendLine();
    }

    private static void Errors(StringBuilder text, SoakLedger ledger)
    {
        var messages = ledger.Messages;
        text.AppendLine("### Errors (with the first message the server gave for each)");
        text.AppendLine();
        if (ledger.Errors.Count == 0)
        {
            text.AppendLine("None.");
            text.AppendLine();
        }
        else
        {
            text.AppendLine("| kind | outcome | requests | message |");
            text.AppendLine("|---|---|---:|---|");
            foreach (var ((kind, outcome), count) in ledger.Errors.OrderByDescending(error => error.Value))
            {
                text.AppendLine($"| {kind} | {outcome} | {count:N0} | {Cell(messages.GetValueOrDefault((kind, outcome)))} |");
            }

            text.AppendLine();
        }

        text.AppendLine("The hostile requests' refusals:");
        text.AppendLine();
        text.AppendLine("| kind | outcome | requests | message |");
        text.AppendLine("|---|---|---:|---|");
        foreach (var (kind, outcomes) in ledger.Outcomes.Where(kind => ledger.HostileKinds.Contains(kind.Key)).OrderBy(kind => kind.Key, StringComparer.Ordinal))
        {
            foreach (var (outcome, count) in outcomes.OrderByDescending(outcome => outcome.Value))
            {
                text.AppendLine($"| {kind} | {outcome} | {count:N0} | {Cell(messages.GetValueOrDefault((kind, outcome)))} |");
            }
        }

        text.AppendLine();
    }

    private static void Minutes(StringBuilder text, SoakResult result)
    {
        var loads = result.Watch.Minutes.ToDictionary(minute => minute.Minute, minute => minute.LoadAverage);
        text.AppendLine("### Latency per minute (valid requests, measured from each arrival's due time)");
        text.AppendLine();
        text.AppendLine("| minute | phase | valid requests | p50 ms | p95 ms | p99 ms | valid errors | hostile | hostile errors | load average |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (minute, record) in result.Ledger.Minutes)
        {
            var latencies = record.ValidLatenciesMs.Order().ToArray();
            var phase = minute < result.Settings.WarmupMinutes ? "warm-up" : "measured";
            text.AppendLine($"| {minute + 1} | {phase} | {latencies.Length:N0} | {Measurement.Percentile(latencies, 0.50):F1} | {Measurement.Percentile(latencies, 0.95):F1} | " +
                            $"{Measurement.Percentile(latencies, 0.99):F1} | {record.ValidErrors} | {record.Hostile} | {record.HostileErrors} | {(loads.TryGetValue(minute, out var load) ? Format(load) : "")} |");
        }

        text.AppendLine();
    }

    private static void Memory(StringBuilder text, SoakResult result)
    {
        text.AppendLine("### Memory (after the warm-up → at the end, both under load)");
        text.AppendLine();
        text.AppendLine("| process | measured by | after warm-up MB | end MB | growth | peak RSS after warm-up MB | met? |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---|");
        foreach (var growth in result.Memory)
        {
            var by = growth.ByPss ? $"PSS of {growth.End.Processes} processes" : "RSS";
            text.AppendLine($"| {growth.Name} | {by} | {growth.StartBytes / Megabyte:F0} | {growth.EndBytes / Megabyte:F0} | {Growth(growth)} | " +
                            $"{growth.PeakBytes / Megabyte:F0} | {Met(growth.Met)} |");
        }

        var names = result.Memory.Select(growth => growth.Name).ToList();
        text.AppendLine();
        text.AppendLine("Per minute (the minute's last sample; RSS MB, and PSS MB for groups of processes):");
        text.AppendLine();
        text.AppendLine($"| minute | {string.Join(" | ", names)} |");
        text.AppendLine($"|---:|{string.Concat(names.Select(_ => "---:|"))}");
        foreach (var (minute, memory, _) in result.Watch.Minutes)
        {
            var cells = names.Select(name => memory.TryGetValue(name, out var reading)
                ? reading.Processes > 1 ? $"{reading.RssBytes / Megabyte:F0} (PSS {reading.PssBytes / Megabyte:F0})" : $"{reading.RssBytes / Megabyte:F0}"
                : "");
            text.AppendLine($"| {minute + 1} | {string.Join(" | ", cells)} |");
        }

        text.AppendLine();
    }

    private static void Usage(StringBuilder text, SoakResult result)
    {
        var ledger = result.Ledger;
        text.AppendLine("### Usage written against requests sent (`GET /api/admin/usage`, summed over minutes and versions)");
        text.AppendLine();
        text.AppendLine($"Not metered: {ledger.Unmetered:N0} requests with made-up keys (refused before metering). " +
                        $"Of unknown outcome (no answer, so the status the gateway counted is unknown): {ledger.Indeterminate:N0}. " +
                        $"Not sent (the client's cap of requests in flight): {ledger.Dropped:N0}. gRPC calls count under HTTP status 200 whatever their gRPC status.");
        text.AppendLine();
        text.AppendLine("| key | model | status | sent | written | difference |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var comparison in result.Usage)
        {
            var key = result.KeyRoles.TryGetValue(comparison.Cell.KeyId, out var role) ? role.ToString() : comparison.Cell.KeyId;
            text.AppendLine($"| {key} | `{comparison.Cell.Model}` | {comparison.Cell.Status} | {comparison.Sent:N0} | {comparison.Written:N0} | " +
                            $"{(comparison.Difference == 0 ? "0" : $"**{comparison.Difference:+#;-#}**")} |");
        }

        text.AppendLine();
    }

    private static string Growth(MemoryGrowth growth) => growth.GrowthPercent is { } percent
        ? string.Create(CultureInfo.InvariantCulture, $"{percent:+0.0;-0.0} %")
        : "not measured (no process at a reading)";

    // A message inside a table cell: on one line, its pipes escaped.
    private static string Cell(string? message) => message is null ? "" : $"`{message.ReplaceLineEndings(" ").Replace("|", "\\|").Replace("`", "'")}`";

    private static string Met(bool met) => met ? "met" : "**not met**";

    private static string Format(double value) => value.ToString(value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);

    private static double Median(List<double> sorted) => sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
}
