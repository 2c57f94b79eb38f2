using System.Net.Http.Headers;
using System.Text;

namespace AiFactory.Benchmarks;

/// <summary>
/// The same workload straight to inference and through the gateway (API key, rate limit and metering on, cache
/// skipped with <c>Cache-Control: no-cache</c>), alternating in rounds so both see the same machine, next to the
/// in-process limits measured in the same run, with the gateway's CPU per request; then the detector at 640×640
/// through the gateway, inferred and answered from the cache. With <c>pinClient</c> the load generator runs on a core
/// of its own (<see cref="CorePinning"/>).
/// </summary>
public static class GatewayBenchmark
{
    private const string CacheHeader = "x-aifactory-cache";

    public static async Task<string> RunAsync(ServerProcess server, GatewayStack gateway, InProcessBenchmark.Limits limits, TimeSpan duration,
        int rounds, bool pinClient)
    {
        var pinning = pinClient ? CorePinning.PinClientApart() : "not pinned: the load generator shares every core";
        Console.WriteLine(pinning);
        var body = ServerBenchmark.BinaryBody(InProcessBenchmark.Image(1), "1,3,48,192", out var headerLength);
        using var direct = Client(server.Http, null);
        using var through = Client(gateway.Http, gateway.InferKey);
        through.DefaultRequestHeaders.CacheControl = new CacheControlHeaderValue { NoCache = true };

        var text = new StringBuilder();
        text.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (gateway, inference, Redis and PostgreSQL share them), " +
                        $"{duration.TotalSeconds} s per measurement, {rounds} alternating rounds, medians; {pinning}. In-process (this run, " +
                        $"before the servers started, every core): ceiling {limits.Ceiling:F0} items/s (batch {limits.CeilingBatch}), unbatched limit " +
                        $"{limits.Unbatched:F0} items/s, batch-1 p50 {limits.Batch1P50Ms:F2} ms.");
        text.AppendLine();
        text.AppendLine($"### Direct vs through the gateway (batching on: {ServerProcess.Batched}, off: {ServerProcess.Direct}; binary, batch 1 per request)");
        text.AppendLine();
        text.AppendLine("| batching | concurrency | direct items/s | gateway items/s | gateway share of direct | gateway / in-process limit (on: ceiling, off: unbatched) | direct p50 ms | gateway p50 ms | gateway adds at p50 ms | gateway p50 − in-process batch-1 p50 ms | gateway CPU ms per request | gateway failures |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        // Both paths and both models warm (JIT tiers, connection pools) before anything is measured: the rounds compare steady states.
        foreach (var (client, model) in new[] { direct, through }.SelectMany(client => new[] { (client, ServerProcess.Batched), (client, ServerProcess.Direct) }))
        {
            await Measurement.RunAsync(16, TimeSpan.FromSeconds(5), () => ServerBenchmark.PostAsync(client, model, () => ServerBenchmark.Binary(body, headerLength)));
        }

        // The issue's rows: batching on at 16 and 64, off at 1 and 64 (its c=1 latency row and its on ÷ off gain).
        var gatewayAt64 = new Dictionary<string, double>();
        var rows = new[] { ("on", ServerProcess.Batched, 16), ("on", ServerProcess.Batched, 64), ("off", ServerProcess.Direct, 1), ("off", ServerProcess.Direct, 64) };
        foreach (var (batching, model, concurrency) in rows)
        {
            var (directRuns, gatewayRuns, gatewayCpuMs) = (new List<Measurement>(), new List<Measurement>(), new List<double>());
            for (var round = 0; round < rounds; round++)
            {
                // Alternate who goes first, so neither always meets a warmer or busier machine.
                foreach (var viaGateway in round % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var client = viaGateway ? through : direct;
                    var cpuBefore = gateway.GatewayCpu();
                    var measured = await Measurement.RunAsync(concurrency, duration,
                        () => ServerBenchmark.PostAsync(client, model, () => ServerBenchmark.Binary(body, headerLength)));
                    (viaGateway ? gatewayRuns : directRuns).Add(measured);
                    if (viaGateway)
                    {
                        // Includes the measurement's warmup calls, which are not counted in Requests: an upper bound.
                        gatewayCpuMs.Add((gateway.GatewayCpu() - cpuBefore).TotalMilliseconds / Math.Max(1, measured.Requests));
                    }

                    Console.WriteLine($"{(viaGateway ? "gateway" : "direct ")} batching {batching}, concurrency {concurrency}, round {round + 1}: {measured.ItemsPerSecond:F0} items/s, p50 {measured.P50Ms:F2} ms, failures {measured.Failures} {measured.FirstError}");
                }
            }

            var (d, g) = (Median(directRuns, m => m.ItemsPerSecond), Median(gatewayRuns, m => m.ItemsPerSecond));
            var (dp50, gp50) = (Median(directRuns, m => m.P50Ms), Median(gatewayRuns, m => m.P50Ms));
            var limit = batching == "on" ? limits.Ceiling : limits.Unbatched;
            if (concurrency == 64)
            {
                gatewayAt64[batching] = g;
            }

            text.AppendLine($"| {batching} | {concurrency} | {d:F0} | {g:F0} | {100 * g / d:F0}% | {g / limit:F2} | {dp50:F2} | {gp50:F2} | {gp50 - dp50:F2} | " +
                            $"{gp50 - limits.Batch1P50Ms:F2} | {gatewayCpuMs.Order().ElementAt(gatewayCpuMs.Count / 2):F3} | {gatewayRuns.Sum(m => m.Failures)} |");
        }

        text.AppendLine();
        text.AppendLine($"Batching gain at concurrency 64 (on ÷ off): through the gateway {gatewayAt64["on"] / gatewayAt64["off"]:F2}×, " +
                        $"in-process {limits.Ceiling / limits.Unbatched:F2}× (ceiling ÷ unbatched limit).");

        await DetectionAsync(server, gateway, duration, text);
        return text.ToString();
    }

    private static async Task DetectionAsync(ServerProcess server, GatewayStack gateway, TimeSpan duration, StringBuilder text)
    {
        var body = ServerBenchmark.DetectionBody(640, out var headerLength);
        using var direct = Client(server.Http, null);
        using var inferred = Client(gateway.Http, gateway.InferKey);
        inferred.DefaultRequestHeaders.CacheControl = new CacheControlHeaderValue { NoCache = true };
        using var cached = Client(gateway.Http, gateway.InferKey);
        // The first request through the cache is its miss; every later one must be a hit (with the version named
        // too: the unversioned request was stored under the version that served it).
        await CallAsync(cached, body, headerLength, expectedCache: "miss");

        var rows = new (string Name, HttpClient Client, string? Cache, string? Version)[]
        {
            ("direct to inference", direct, null, null), ("gateway, inferred (no-cache)", inferred, null, null),
            ("gateway, cache hit", cached, "hit", null),
            // A client that names the version spares the gateway asking inference which version serves.
            ("gateway, cache hit, version in the path", cached, "hit", "1"),
        };
        var results = new List<(string Name, Measurement Result)>();
        foreach (var (name, client, cache, version) in rows)
        {
            var measured = await Measurement.RunAsync(1, duration, () => CallAsync(client, body, headerLength, cache, version));
            results.Add((name, measured));
            Console.WriteLine($"detection 640x640, {name}: p50 {measured.P50Ms:F2} ms, failures {measured.Failures} {measured.FirstError}");
        }

        var inferredP50 = results[1].Result.P50Ms;
        text.AppendLine();
        text.AppendLine("### PP-OCRv4 detection at [1,3,640,640] (binary, one request at a time)");
        text.AppendLine();
        text.AppendLine("| path | requests/s | p50 ms | p95 ms | p99 ms | inferred p50 / this p50 | failures |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, result) in results)
        {
            text.AppendLine($"| {name} | {result.ItemsPerSecond:F1} | {result.P50Ms:F2} | {result.P95Ms:F2} | {result.P99Ms:F2} | {inferredP50 / result.P50Ms:F1}× | {result.Failures} |");
        }
    }

    private static async Task<int> CallAsync(HttpClient client, byte[] body, int headerLength, string? expectedCache, string? version = null)
    {
        var path = version is null ? $"/v2/models/{ServerProcess.Detection}/infer" : $"/v2/models/{ServerProcess.Detection}/versions/{version}/infer";
        using var response = await client.PostAsync(path, ServerBenchmark.Binary(body, headerLength));
        await response.Content.ReadAsByteArrayAsync();
        response.EnsureSuccessStatusCode();
        var cache = response.Headers.TryGetValues(CacheHeader, out var values) ? values.Single() : null;
        return expectedCache is null || cache == expectedCache ? 1 : throw new InvalidOperationException($"{CacheHeader}: {cache}, expected {expectedCache}");
    }

    private static HttpClient Client(Uri address, string? key)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = address };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    private static double Median(List<Measurement> runs, Func<Measurement, double> value) =>
        runs.Select(value).Order().ElementAt(runs.Count / 2);
}
