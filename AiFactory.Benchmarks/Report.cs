using System.Text;

namespace AiFactory.Benchmarks;

/// <summary>Collects the measurements and writes them as one markdown report, each figure beside its limit.</summary>
public sealed class Report(double seconds, int rounds, BenchmarkSettings settings)
{
    private readonly List<(string Setting, Measurement Result)> _inProcess = [];
    private readonly List<(string Batching, string Protocol, int Concurrency, Measurement Result, ServerBreakdown Server)> _served = [];

    private readonly List<(string Input, double FirstMs, Measurement Result, ServerBreakdown Server)> _detection = [];

    public string Provider { get; set; } = "";

    /// <summary>Each served model's execution provider, as its metadata reports it.</summary>
    public string ServedProviders { get; set; } = "";

    public InProcessBenchmark.Limits? Limits { get; set; }

    public void AddInProcess(string setting, Measurement result) => _inProcess.Add((setting, result));

    public void AddServed(string batching, string protocol, int concurrency, Measurement result, ServerBreakdown server) =>
        _served.Add((batching, protocol, concurrency, result, server));

    public void AddDetection(string input, double firstMs, Measurement result, ServerBreakdown server) =>
        _detection.Add((input, firstMs, result, server));

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {RuntimeInformation()}, " +
                        $"provider {Provider}, {settings}, {seconds} s per row after a warmup, served rows the median of {rounds} round(s); " +
                        "model text-direction, input [N,3,48,192] FP32.");
        text.AppendLine();
        text.AppendLine("### In-process ONNX Runtime (the limits)");
        text.AppendLine();
        text.AppendLine("| setting | items/s | p50 ms | p95 ms | p99 ms |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (setting, result) in _inProcess)
        {
            text.AppendLine($"| {setting} | {result.ItemsPerSecond:F0} | {result.P50Ms:F2} | {result.P95Ms:F2} | {result.P99Ms:F2} |");
        }

        if (Limits is { } limits)
        {
            text.AppendLine();
            text.AppendLine($"Ceiling {limits.Ceiling:F0} items/s (batch {limits.CeilingBatch}); unbatched limit {limits.Unbatched:F0} items/s; " +
                            $"batch-1 p50 {limits.Batch1P50Ms:F2} ms.");
        }

        text.AppendLine();
        text.AppendLine($"Served on: {ServedProviders}.");
        text.AppendLine();
        text.AppendLine($"### Served (batch 1 per request; batching on = max_batch_size 64, max_queue_delay_us {ServerProcess.MaxQueueDelayUs}, " +
                        "each batch run at its own size; padded = the same, batches padded to 1, 2, 4 … 64)");
        text.AppendLine();
        text.AppendLine("| batching | protocol | concurrency | items/s | share of its limit | p50 ms | p95 ms | p99 ms | mean batch | server: handler / queue ms per request | server: compute ms per execution | server peak RSS MB | failures |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (batching, protocol, concurrency, result, server) in _served)
        {
            var limit = batching == "off" ? Limits?.Unbatched : Limits?.Ceiling;
            var share = limit is > 0 ? $"{100 * result.ItemsPerSecond / limit:F0}% of {(batching == "off" ? "unbatched" : "ceiling")}" : "";
            text.AppendLine($"| {batching} | {protocol} | {concurrency} | {result.ItemsPerSecond:F0} | {share} | {result.P50Ms:F2} | {result.P95Ms:F2} | {result.P99Ms:F2} | {server.MeanBatch:F1} | {server.HandlerMs:F2} / {server.QueueMs:F2} | {server.ComputeMs:F2} | {result.PeakRssMb:F0} | {result.Failures} |");
        }

        SideBySide(text);

        if (_detection.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("### Served text detection (PP-OCRv4 det, binary, one request at a time, no batching)");
            text.AppendLine();
            text.AppendLine("| input | first request ms | requests/s | p50 ms | p95 ms | p99 ms | server: handler ms per request | server: compute ms per execution | server peak RSS MB | failures |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (input, firstMs, result, server) in _detection)
            {
                text.AppendLine($"| {input} | {firstMs:F1} | {result.ItemsPerSecond:F1} | {result.P50Ms:F2} | {result.P95Ms:F2} | {result.P99Ms:F2} | {server.HandlerMs:F2} | {server.ComputeMs:F2} | {result.PeakRssMb:F0} | {result.Failures} |");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Batching off, on and padded beside each other and beside the in-process limits, at each protocol and
    /// concurrency: the ratios the targets are stated in, all from this one run.
    /// </summary>
    private void SideBySide(StringBuilder text)
    {
        if (Limits is not { } limits)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine($"### Side by side (items/s; ceiling {limits.Ceiling:F0}, unbatched limit {limits.Unbatched:F0}, both in-process, this run)");
        text.AppendLine();
        text.AppendLine("| protocol | concurrency | off | on | padded | on / off | padded / off | padded / on | on / ceiling | padded / ceiling | off / unbatched |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in _served.GroupBy(row => (row.Protocol, row.Concurrency)))
        {
            var itemsPerSecond = row.ToDictionary(r => r.Batching, r => r.Result.ItemsPerSecond);
            if (!itemsPerSecond.TryGetValue("off", out var off) || !itemsPerSecond.TryGetValue("on", out var on) || !itemsPerSecond.TryGetValue("padded", out var padded))
            {
                continue;
            }

            text.AppendLine($"| {row.Key.Protocol} | {row.Key.Concurrency} | {off:F0} | {on:F0} | {padded:F0} | {on / off:F2} | {padded / off:F2} | {padded / on:F2} | " +
                            $"{on / limits.Ceiling:F2} | {padded / limits.Ceiling:F2} | {off / limits.Unbatched:F2} |");
        }
    }

    private static string RuntimeInformation() =>
        $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}";
}
