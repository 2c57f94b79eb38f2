using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using AiFactory.Inference.Grpc.Protocol;
using Google.Protobuf;
using Grpc.Net.Client;

namespace AiFactory.Benchmarks;

/// <summary>Inside the server, from its statistics: mean batch, handler time per request (after the body was read),
/// queue time per request and compute time per execution.</summary>
public sealed record ServerBreakdown(double MeanBatch, double HandlerMs, double QueueMs, double ComputeMs)
{
    public override string ToString() => $"mean batch {MeanBatch:F1}, handler {HandlerMs:F2} ms, queue {QueueMs:F2} ms, compute {ComputeMs:F2} ms";

    /// <summary>Each figure's median over <paramref name="runs"/>.</summary>
    public static ServerBreakdown Median(IReadOnlyList<ServerBreakdown> runs) => new(
        Measurement.MedianOf(runs, run => run.MeanBatch), Measurement.MedianOf(runs, run => run.HandlerMs),
        Measurement.MedianOf(runs, run => run.QueueMs), Measurement.MedianOf(runs, run => run.ComputeMs));
}

/// <summary>
/// The server over JSON, binary and gRPC at concurrency 1, 8 and 64, each with batching off, on (batches at their own
/// size) and padded (batches padded to powers of two). At each protocol and concurrency the three models are measured
/// one after the other, <c>rounds</c> times in rotating order, so they meet the same machine; each row is the median.
/// </summary>
public static class ServerBenchmark
{
    public static async Task RunAsync(ServerProcess server, BenchmarkSettings settings, TimeSpan duration, int rounds, Report report)
    {
        var image = InProcessBenchmark.Image(1);
        var json = JsonBody(image);
        var binary = BinaryBody(image, "1,3,48,192", out var headerLength);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Http };
        using var channel = GrpcChannel.ForAddress(server.Grpc, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var calls = new (string Protocol, Func<string, Task<int>> Call)[]
        {
            ("JSON", model => PostAsync(http, model, () => new ByteArrayContent(json) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } })),
            ("binary", model => PostAsync(http, model, () => Binary(binary, headerLength))),
            ("gRPC", model => GrpcAsync(grpc, model, image)),
        };
        var models = new[] { ("off", ServerProcess.Direct), ("on", ServerProcess.Batched), ("padded", ServerProcess.Padded) };

        foreach (var (protocol, call) in calls.Where(c => settings.Protocols is null || settings.Protocols.Contains(c.Protocol)))
        {
            foreach (var concurrency in new[] { 1, 8, 64 })
            {
                var runs = models.ToDictionary(model => model.Item1, _ => new List<(Measurement Result, ServerBreakdown Server)>());
                for (var round = 0; round < rounds; round++)
                {
                    // Rotate who goes first, so no model always meets a warmer or busier machine.
                    foreach (var (batching, model) in models.Skip(round % models.Length).Concat(models.Take(round % models.Length)))
                    {
                        server.ResetPeak();
                        var before = await CountsAsync(http, model);
                        var measured = await Measurement.RunAsync(concurrency, duration, () => call(model), server.PeakRssMb);
                        var breakdown = Breakdown(before, await CountsAsync(http, model));
                        runs[batching].Add((measured, breakdown));
                        Console.WriteLine($"server batching {batching}, {protocol}, concurrency {concurrency}, round {round + 1}: {measured.ItemsPerSecond:F0} items/s, p50 {measured.P50Ms:F2} ms, {breakdown}, failures {measured.Failures} {measured.FirstError}");
                    }
                }

                foreach (var (batching, measured) in runs)
                {
                    report.AddServed(batching, protocol, concurrency, Measurement.Median([.. measured.Select(run => run.Result)]),
                        ServerBreakdown.Median([.. measured.Select(run => run.Server)]));
                }
            }
        }
    }

    /// <summary>
    /// The text detector (<see cref="ServerProcess.Detection"/>) on one <paramref name="size"/>² image, over binary, one
    /// request at a time: p50 is a single request's latency. The first request (the provider's first run at this
    /// shape: CUDA picks its convolution algorithms then) is timed on its own and left out of the rest.
    /// </summary>
    public static async Task RunDetectionAsync(ServerProcess server, int size, TimeSpan duration, Report report)
    {
        var body = DetectionBody(size, out var headerLength);
        using var http = new HttpClient { BaseAddress = server.Http };
        Task<int> Call() => PostAsync(http, ServerProcess.Detection, () => Binary(body, headerLength));

        var first = System.Diagnostics.Stopwatch.StartNew();
        await Call();
        var firstMs = first.Elapsed.TotalMilliseconds;
        server.ResetPeak();
        var before = await CountsAsync(http, ServerProcess.Detection);
        var measured = await Measurement.RunAsync(1, duration, Call, server.PeakRssMb);
        var breakdown = Breakdown(before, await CountsAsync(http, ServerProcess.Detection));
        report.AddDetection($"[1,3,{size},{size}]", firstMs, measured, breakdown);
        Console.WriteLine($"server detection {size}x{size}, binary, concurrency 1: first request {firstMs:F1} ms, p50 {measured.P50Ms:F2} ms, {breakdown}, failures {measured.Failures} {measured.FirstError}");
    }

    /// <summary>A binary request for the detector: one random <paramref name="size"/>² image, the same for a seed.</summary>
    internal static byte[] DetectionBody(int size, out int headerLength, int? seed = null) =>
        BinaryBody(InProcessBenchmark.RandomFloats(3 * size * size, seed ?? size), $"1,3,{size},{size}", out headerLength);

    private static ServerBreakdown Breakdown(Counts before, Counts after)
    {
        var executions = Math.Max(1, after.Executions - before.Executions);
        return new ServerBreakdown(
            (after.Items - before.Items) / (double)executions,
            (after.SuccessNs - before.SuccessNs) / 1e6 / Math.Max(1, after.Successes - before.Successes),
            (after.QueueNs - before.QueueNs) / 1e6 / Math.Max(1, after.Queued - before.Queued),
            (after.ComputeNs - before.ComputeNs) / 1e6 / executions);
    }

    private sealed record Counts(long Items, long Executions, long Successes, long SuccessNs, long Queued, long QueueNs, long ComputeNs);

    /// <summary>
    /// The statistics extension's counters: items over executions is the batch size achieved; success, queue and
    /// compute times show where a request's time goes inside the server.
    /// </summary>
    private static async Task<Counts> CountsAsync(HttpClient http, string model)
    {
        using var stats = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"/v2/models/{model}/stats"));
        var first = stats.RootElement.GetProperty("model_stats")[0];
        var inference = first.GetProperty("inference_stats");
        return new Counts(first.GetProperty("inference_count").GetInt64(), first.GetProperty("execution_count").GetInt64(),
            inference.GetProperty("success").GetProperty("count").GetInt64(), inference.GetProperty("success").GetProperty("ns").GetInt64(),
            inference.GetProperty("queue").GetProperty("count").GetInt64(), inference.GetProperty("queue").GetProperty("ns").GetInt64(),
            inference.GetProperty("compute_infer").GetProperty("ns").GetInt64());
    }

    internal static async Task<int> PostAsync(HttpClient http, string model, Func<HttpContent> content)
    {
        using var response = await http.PostAsync($"/v2/models/{model}/infer", content());
        await response.Content.ReadAsByteArrayAsync();
        return response.StatusCode == HttpStatusCode.OK ? 1 : throw new HttpRequestException($"status {(int)response.StatusCode}");
    }

    private static async Task<int> GrpcAsync(GRPCInferenceService.GRPCInferenceServiceClient client, string model, float[] image)
    {
        var response = await client.ModelInferAsync(GrpcRequest(model, image, 1));
        return response.RawOutputContents.Count == 1 ? 1 : throw new InvalidOperationException("no output");
    }

    /// <summary>A gRPC inference of <paramref name="batch"/> classifier images (<c>x</c>, FP32 <c>[batch,3,48,192]</c>) as raw contents.</summary>
    internal static ModelInferRequest GrpcRequest(string model, float[] image, int batch)
    {
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { batch, 3, 48, 192 } });
        request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(image.AsSpan()).ToArray()));
        return request;
    }

    /// <summary>A JSON request for one classifier image (<c>x</c>, FP32 <c>[1,3,48,192]</c>, flat <c>data</c>).</summary>
    internal static byte[] JsonBody(float[] image)
    {
        var builder = new StringBuilder("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3,48,192],\"data\":[");
        for (var i = 0; i < image.Length; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append(image[i].ToString("R", CultureInfo.InvariantCulture));
        }

        return Encoding.UTF8.GetBytes(builder.Append("]}]}").ToString());
    }

    internal static byte[] BinaryBody(float[] image, string shape, out int headerLength)
    {
        var header = Encoding.UTF8.GetBytes(
            $"{{\"inputs\":[{{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[{shape}],\"parameters\":{{\"binary_data_size\":{image.Length * 4}}}}}],\"parameters\":{{\"binary_data_output\":true}}}}");
        headerLength = header.Length;
        return [.. header, .. MemoryMarshal.AsBytes(image.AsSpan())];
    }

    internal static ByteArrayContent Binary(byte[] body, int headerLength)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", headerLength.ToString(CultureInfo.InvariantCulture));
        return content;
    }
}
