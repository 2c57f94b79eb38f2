using System.Collections.Concurrent;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Inference;

/// <summary>
/// Requests that give up (the client hangs up, or Triton's <c>timeout</c> runs out) while their batch executes, and
/// the version they run on retired meanwhile. ONNX Runtime reads the request's own buffer and the version's session
/// while it runs, so both must outlive the execution: the caller's answer waits for the execution to end, and a
/// retired version's session is freed by whoever finishes last. The server logs
/// "Model m version v freed its session after its last execution (N in all)" when it frees one.
/// </summary>
/// <remarks>
/// The model is generated (<see cref="OnnxModelWriter.MatrixPower"/>): its execution lasts as long as the
/// request's matrix size makes it, so a run of n = 1024 outlasts a timeout, a hang-up and a swap by far.
/// </remarks>
public sealed class VersionSwapCancellationTests : IAsyncLifetime
{
    private const string Model = "matrix-power";
    private const int Multiplications = 32;
    private const int LongRun = 1024;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly ModelFolder _folder = new();
    private readonly RecordingLoggerProvider _log = new();
    private readonly byte[] _onnx = OnnxModelWriter.MatrixPower(Multiplications);
    private readonly ConcurrentDictionary<(float[] Input, int N), float[]> _expected = new();
    private WebApplicationFactory<ModelRepository> _factory = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        // One execution at a time, batches of up to 4: while one batch runs, the next queues behind it.
        _folder.WriteConfig(Model, """
            { "max_batch_size": 4, "dynamic_batching": { "max_queue_delay_us": 1000 }, "instance_count": 1, "execution_provider": "cpu" }
            """);
        _folder.WriteVersion(Model, 1, _onnx);
        _factory = new WebApplicationFactory<ModelRepository>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ModelRepository:Path", _folder.Path);
            web.UseSetting("ModelRepository:PollIntervalSeconds", "0.2");
            web.ConfigureServices(services => services.AddLogging(logging => logging.AddProvider(_log)));
        });
        _http = _factory.CreateClient();
        await WaitUntilAsync(async () => (await _http.GetAsync($"/v2/models/{Model}/ready").WaitAsync(Deadline)).StatusCode == HttpStatusCode.OK, $"{Model} ready");
    }

    [Fact]
    public async Task A_request_whose_timeout_passes_while_its_batch_executes_gets_its_answer()
    {
        var input = Matrix(seed: 1, LongRun);
        // How long one run takes on this machine, so the timeout can lie well inside the run and far beyond the
        // moment the request leaves the queue (about max_queue_delay_us on an idle batcher).
        using (var measured = await _http.PostAsync($"/v2/models/{Model}/infer", Request(input, LongRun, timeoutUs: null)).WaitAsync(Deadline))
        {
            AssertResult(input, LongRun, await OutputOf(measured));
        }

        var firstRunNs = (await StatisticsAsync())["compute_infer"]!["ns"]!.GetValue<long>();
        var timeoutUs = (int)Math.Max(1000, firstRunNs / 1000 / 3);

        // Triton's timeout bounds the wait in the queue; this request leaves the queue at once and runs far longer.
        using var response = await _http.PostAsync($"/v2/models/{Model}/infer", Request(input, LongRun, timeoutUs)).WaitAsync(Deadline);

        AssertResult(input, LongRun, await OutputOf(response));
        var runUs = ((await StatisticsAsync())["compute_infer"]!["ns"]!.GetValue<long>() - firstRunNs) / 1000;
        Assert.True(runUs > timeoutUs, $"the run took {runUs} µs, less than the {timeoutUs} µs timeout: nothing was tested");
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task A_caller_that_hangs_up_while_its_batch_executes_keeps_the_retired_version_until_the_execution_ends(string protocol)
    {
        var input = Matrix(seed: 2, LongRun);
        using var hangUp = new CancellationTokenSource();
        var call = protocol == "rest"
            ? _http.PostAsync($"/v2/models/{Model}/infer", Request(input, LongRun, timeoutUs: null), hangUp.Token)
            : GrpcInferAsync(input, LongRun, hangUp.Token);
        // Once the request has left the queue it is in a batch, and the batch runs for seconds.
        await WaitUntilAsync(async () => (await StatisticsAsync())["queue"]!["count"]!.GetValue<long>() == 1, "the request taken into a batch");

        await hangUp.CancelAsync();
        var refused = await Record.ExceptionAsync(() => call.WaitAsync(Deadline));
        Assert.True(refused is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, $"the call ended with {refused}");
        _folder.WriteVersion(Model, 1, _onnx);
        await WaitUntilAsync(() => Task.FromResult(Lines("(replacing the previous file)").Count == 1), "the new file loaded");

        await WaitUntilAsync(() => Task.FromResult(Lines("freed its session").Count == 1), "the retired session freed");
        Assert.EndsWith($"Model {Model} version 1 freed its session after its last execution (1 in all)", Lines("freed its session").Single().TrimEnd());
        using var next = await _http.PostAsync($"/v2/models/{Model}/infer", Request(Matrix(seed: 3, 16), 16, timeoutUs: null)).WaitAsync(Deadline);
        AssertResult(Matrix(seed: 3, 16), 16, await OutputOf(next));
    }

    [Fact]
    public async Task Cancel_storm_during_version_swaps_gets_no_wrong_answer_no_crash_and_frees_each_retired_session_once()
    {
        const int n = 192;
        var inputs = Enumerable.Range(0, 4).Select(seed => Matrix(seed: 100 + seed, n)).ToArray();
        foreach (var input in inputs)
        {
            Expected(input, n);
        }

        var answered = 0;
        var hungUp = 0;
        var timedOut = 0;
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(12));
        var callers = Enumerable.Range(0, 12).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            while (!stop.IsCancellationRequested)
            {
                var which = random.Next(inputs.Length);
                var kind = random.Next(3);
                // A third hang up at a random moment, a third have Triton's timeout give up for them, a third wait.
                using var hangUp = new CancellationTokenSource(kind == 0 ? TimeSpan.FromMilliseconds(random.Next(1, 80)) : Deadline);
                try
                {
                    using var response = await _http.PostAsync($"/v2/models/{Model}/infer",
                        Request(inputs[which], n, kind == 1 ? random.Next(500, 50_000) : null), hangUp.Token);
                    var body = await response.Content.ReadAsByteArrayAsync(hangUp.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        if (!IsResult(inputs[which], n, await OutputOf(response)))
                        {
                            failures.Enqueue($"input {which} got a wrong answer");
                        }

                        Interlocked.Increment(ref answered);
                    }
                    else if (response.StatusCode == HttpStatusCode.ServiceUnavailable && Encoding.UTF8.GetString(body).Contains("in the queue"))
                    {
                        Interlocked.Increment(ref timedOut);
                    }
                    else
                    {
                        failures.Enqueue($"{(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
                    }
                }
                catch (OperationCanceledException) when (hangUp.IsCancellationRequested)
                {
                    Interlocked.Increment(ref hungUp);
                }
            }
        })).ToList();

        // The version's file replaced again and again: each time a new session takes over and the old one retires
        // with requests queued and executing on it.
        var swaps = 0;
        while (!stop.IsCancellationRequested)
        {
            await Task.Delay(300);
            _folder.WriteVersion(Model, 1, _onnx);
            swaps++;
        }

        await Task.WhenAll(callers).WaitAsync(Deadline);
        Assert.Empty(failures);
        Assert.True(answered > 0 && hungUp > 0 && timedOut > 0, $"answers {answered}, hang-ups {hungUp}, timeouts {timedOut}: the storm must mix them");

        using var after = await _http.PostAsync($"/v2/models/{Model}/infer", Request(inputs[0], n, timeoutUs: null)).WaitAsync(Deadline);
        Assert.True(IsResult(inputs[0], n, await OutputOf(after)), "the answer after the storm is wrong");
        Assert.True(Lines("(replacing the previous file)").Count >= 5, $"{swaps} files written, {Lines("(replacing the previous file)").Count} loaded");
        // The poller may still be loading the last file written: compare both counts in one snapshot of the log. A
        // session never freed, or freed twice, keeps them apart for good.
        await WaitUntilAsync(() =>
        {
            var log = _log.Lines;
            return Task.FromResult(log.Count(line => line.Contains("(replacing the previous file)")) == log.Count(line => line.Contains("freed its session")));
        }, "as many sessions freed as versions retired");
    }

    /// <summary>Values in [0, 2/n): rows sum to about 1, so powers of the matrix stay finite and comparable.</summary>
    private static float[] Matrix(int seed, int n) => [.. SampleModels.RandomImage(seed, n, n).Select(value => value * 2 / n)];

    private static ByteArrayContent Request(float[] matrix, int n, int? timeoutUs)
    {
        var parameters = new JsonObject { ["binary_data_output"] = true };
        if (timeoutUs is { } timeout)
        {
            parameters["timeout"] = timeout;
        }

        return Binary(new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "x", ["datatype"] = "FP32", ["shape"] = new JsonArray(1, n, n),
                ["parameters"] = new JsonObject { ["binary_data_size"] = matrix.Length * 4 },
            }),
            ["parameters"] = parameters,
        }, MemoryMarshal.AsBytes(matrix.AsSpan()).ToArray());
    }

    /// <summary>The same request over gRPC, its matrix in <c>raw_input_contents</c>.</summary>
    private async Task GrpcInferAsync(float[] matrix, int n, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(_http.BaseAddress!, new GrpcChannelOptions { HttpHandler = _factory.Server.CreateHandler() });
        var request = new ModelInferRequest { ModelName = Model };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, n, n } });
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(matrix.AsSpan())));
        await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ModelInferAsync(request, cancellationToken: cancellationToken);
    }

    private static async Task<float[]> OutputOf(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var (json, binary) = await ReadAsync(response);
        return Floats(json, binary, "y");
    }

    private void AssertResult(float[] input, int n, float[] actual) =>
        Assert.True(IsResult(input, n, actual), "the answer differs from ONNX Runtime's own for that input");

    /// <summary>ONNX Runtime's result for the input, computed in the test process, once per input.</summary>
    private float[] Expected(float[] input, int n) => _expected.GetOrAdd((input, n), key =>
    {
        using var reference = new ReferenceSession(Path.Combine(_folder.Path, Model, "1", "model.onnx"));
        return reference.Run("x", key.Input, [1, key.N, key.N], "y");
    });

    private bool IsResult(float[] input, int n, float[] actual)
    {
        var expected = Expected(input, n);
        return expected.Length == actual.Length
               && expected.Zip(actual).All(pair => Math.Abs(pair.First - pair.Second) <= 1e-4f * Math.Max(1f, Math.Abs(pair.First)));
    }

    private async Task<JsonNode> StatisticsAsync()
    {
        var stats = JsonNode.Parse(await _http.GetStringAsync($"/v2/models/{Model}/stats").WaitAsync(Deadline))!["model_stats"]![0]!;
        return stats["inference_stats"]!;
    }

    private List<string> Lines(string containing) => [.. _log.Lines.Where(line => line.Contains(containing, StringComparison.Ordinal))];

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited {Deadline.TotalSeconds} s for {what}. Log:\n{_log}");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        _folder.Dispose();
    }
}
