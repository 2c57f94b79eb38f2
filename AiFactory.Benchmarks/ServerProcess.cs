using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;

namespace AiFactory.Benchmarks;

/// <summary>
/// The inference server as its own process on Kestrel (real sockets), with a repository holding the classifier
/// three times: <c>direction</c> without batching, <c>direction-batched</c> with the dynamic batcher running each
/// batch at its own size (<c>padded_batch_sizes</c> <c>[]</c>, as before padding existed) and <c>direction-padded</c>
/// with batches padded to powers of two up to 64; and, when asked for, the text detector as <c>detection</c> (no
/// batching). <see cref="StartSampleModelsAsync"/> serves the repository's own <c>models/</c>.
/// </summary>
/// <remarks>
/// Environment for runs on other machines: <c>AIFACTORY_BENCH_SERVER_ENV</c> adds server settings
/// (<c>KEY=VALUE;…</c>), <c>AIFACTORY_BENCH_SERVER_LOG</c> names a file that receives the server's console output
/// (discarded otherwise). The server runs as <c>dotnet AiFactory.Inference.dll</c> with the <c>dotnet</c> on PATH.
/// </remarks>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string Batched = "direction-batched";
    public const string Padded = "direction-padded";
    public const string Direct = "direction";
    public const string Detection = "detection";
    public const int MaxQueueDelayUs = 500;

    private readonly Process _process;
    private readonly TextWriter _log;
    // Deleted at the end when the benchmark made it; null for a folder it only serves.
    private readonly string? _repository;
    private readonly CancellationTokenSource _sampling = new();
    private readonly Task _sampler;
    private long _peakRssBytes;

    private ServerProcess(Process process, TextWriter log, string? repository, Uri http, Uri grpc)
    {
        _process = process;
        _log = log;
        _repository = repository;
        Http = http;
        Grpc = grpc;
        _sampler = Task.Run(SampleAsync);
    }

    public Uri Http { get; }
    public Uri Grpc { get; }

    /// <summary>The server's own process (<c>dotnet AiFactory.Inference.dll</c>), for its memory.</summary>
    public int ProcessId => _process.Id;

    public static Task<ServerProcess> StartAsync(string modelPath, BenchmarkSettings settings, string? detectionModelPath = null)
    {
        var repository = Directory.CreateTempSubdirectory("aifactory-bench-").FullName;
        Place(repository, Direct, modelPath, $$"""{ {{settings.ConfigFields(batched: false)}} }""");
        // Padding stated both ways, so the two batched models differ only in it on every provider (a GPU pads by default).
        Place(repository, Batched, modelPath, BatchedConfig(settings, "[]"));
        Place(repository, Padded, modelPath, BatchedConfig(settings, "[1, 2, 4, 8, 16, 32, 64]", settings.CudaGraphs));
        if (detectionModelPath is not null)
        {
            Place(repository, Detection, detectionModelPath, $$"""{ {{settings.ConfigFields(batched: false)}} }""");
        }

        return ServeAsync(repository, ownsRepository: true, new() { ["ModelRepository__PollIntervalSeconds"] = "0" });
    }

    /// <summary>
    /// A replica serving the repository's own <c>models/</c> folder (<c>text-direction</c>, <c>text-detection</c>, each
    /// with its <c>config.json</c>) with the service's default settings, as the AppHost runs each inference replica.
    /// </summary>
    public static Task<ServerProcess> StartSampleModelsAsync() => ServeAsync(Path.Combine(Paths.Root, "models"), ownsRepository: false, []);

    private static async Task<ServerProcess> ServeAsync(string repository, bool ownsRepository, Dictionary<string, string> settings)
    {
        var configuration = typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var server = Path.Combine(Paths.Root, "AiFactory.Inference", "bin", configuration, "net10.0", "AiFactory.Inference.dll");
        var (httpPort, grpcPort, managementPort) = (LocalPorts.Free(), LocalPorts.Free(), LocalPorts.Free());
        var start = new ProcessStartInfo("dotnet", [server])
        {
            // The server's own folder is its content root: appsettings.json lives there.
            WorkingDirectory = Path.GetDirectoryName(server)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{httpPort}",
                ["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
                ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
                ["Kestrel__Endpoints__management__Url"] = $"http://127.0.0.1:{managementPort}",
                ["ModelRepository__Path"] = repository,
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        foreach (var setting in Environment.GetEnvironmentVariable("AIFACTORY_BENCH_SERVER_ENV")?.Split(';', StringSplitOptions.RemoveEmptyEntries) ?? [])
        {
            // Extra server settings for experiments, e.g. "DOTNET_gcServer=0".
            var (key, value) = (setting.Split('=', 2)[0], setting.Split('=', 2)[1]);
            start.Environment[key] = value;
        }

        var log = Environment.GetEnvironmentVariable("AIFACTORY_BENCH_SERVER_LOG") is { Length: > 0 } logPath
            ? TextWriter.Synchronized(new StreamWriter(logPath, append: true) { AutoFlush = true })
            : TextWriter.Null;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) => Log(log, line.Data);
        process.ErrorDataReceived += (_, line) => Log(log, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var result = new ServerProcess(process, log, ownsRepository ? repository : null, new Uri($"http://127.0.0.1:{httpPort}"), new Uri($"http://127.0.0.1:{grpcPort}"));
        using var http = new HttpClient { BaseAddress = result.Http };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync("/v2/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return result;
                }
            }
            catch (HttpRequestException)
            {
            }

            // A model that failed to load (an execution provider that does not load, say) never becomes ready.
            var unavailable = await UnavailableAsync(http) ?? (process.HasExited ? $"it exited with code {process.ExitCode}" : null);
            if (unavailable is not null)
            {
                await result.DisposeAsync();
                throw new InvalidOperationException($"the inference server cannot serve: {unavailable}");
            }

            await Task.Delay(200);
        }

        await result.DisposeAsync();
        throw new TimeoutException("the inference server did not become ready within 120 s");
    }

    /// <summary>The execution provider each model runs on, from its metadata's <c>parameters</c>.</summary>
    public async Task<string> ProvidersAsync()
    {
        using var http = new HttpClient { BaseAddress = Http };
        using var index = JsonDocument.Parse(await (await http.PostAsync("/v2/repository/index", null)).Content.ReadAsStringAsync());
        var providers = new List<string>();
        foreach (var name in index.RootElement.EnumerateArray().Select(entry => entry.GetProperty("name").GetString()!).Distinct().Order())
        {
            using var metadata = JsonDocument.Parse(await http.GetStringAsync($"/v2/models/{name}"));
            providers.Add($"{name}: {metadata.RootElement.GetProperty("parameters").GetProperty("execution_provider").GetString()}");
        }

        return string.Join(", ", providers);
    }

    /// <summary>Forgets the peak so far; the next <see cref="PeakRssMb"/> covers only what follows.</summary>
    public void ResetPeak() => Interlocked.Exchange(ref _peakRssBytes, 0);

    public double PeakRssMb() => Interlocked.Read(ref _peakRssBytes) / (1024.0 * 1024.0);

    private async Task SampleAsync()
    {
        while (!_sampling.IsCancellationRequested && !_process.HasExited)
        {
            _process.Refresh();
            var rss = _process.WorkingSet64;
            long peak;
            while (rss > (peak = Interlocked.Read(ref _peakRssBytes)) && Interlocked.CompareExchange(ref _peakRssBytes, rss, peak) != peak)
            {
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>The first model version the repository index reports unavailable, with its reason; null if none.</summary>
    private static async Task<string?> UnavailableAsync(HttpClient http)
    {
        try
        {
            using var response = await http.PostAsync("/v2/repository/index", null);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var index = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return index.RootElement.EnumerateArray()
                .Where(entry => entry.GetProperty("state").GetString() == "UNAVAILABLE")
                .Select(entry => $"model {entry.GetProperty("name").GetString()} is unavailable: {entry.GetProperty("reason").GetString()}")
                .FirstOrDefault();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static string BatchedConfig(BenchmarkSettings settings, string paddedBatchSizes, bool cudaGraphs = false) => $$"""
        { "max_batch_size": 64, "dynamic_batching": { "max_queue_delay_us": {{MaxQueueDelayUs}}, "padded_batch_sizes": {{paddedBatchSizes}} },
          "inputs": [ { "name": "x", "dims": [3, 48, 192] } ], "warmup": [1, 64], "cuda_graphs": {{(cudaGraphs ? "true" : "false")}},
          {{settings.ConfigFields(batched: true)}} }
        """;

    private static void Place(string repository, string name, string modelPath, string config)
    {
        var version = Directory.CreateDirectory(Path.Combine(repository, name, "1")).FullName;
        File.Copy(modelPath, Path.Combine(version, "model.onnx"));
        File.WriteAllText(Path.Combine(repository, name, "config.json"), config);
    }

    private static void Log(TextWriter log, string? line)
    {
        if (line is not null)
        {
            log.WriteLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sampling.CancelAsync();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await _sampler;
        _process.Dispose();
        _log.Dispose();
        if (_repository is not null)
        {
            Directory.Delete(_repository, recursive: true);
        }
    }
}
