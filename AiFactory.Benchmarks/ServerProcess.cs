using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace AiFactory.Benchmarks;

/// <summary>
/// The inference server as its own process on Kestrel (real sockets), with a repository holding the classifier
/// twice: <c>direction</c> without batching and <c>direction-batched</c> with the dynamic batcher.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string Batched = "direction-batched";
    public const string Direct = "direction";
    public const int MaxQueueDelayUs = 500;

    private readonly Process _process;
    private readonly string _repository;
    private readonly CancellationTokenSource _sampling = new();
    private readonly Task _sampler;
    private long _peakRssBytes;

    private ServerProcess(Process process, string repository, Uri http, Uri grpc)
    {
        _process = process;
        _repository = repository;
        Http = http;
        Grpc = grpc;
        _sampler = Task.Run(SampleAsync);
    }

    public Uri Http { get; }
    public Uri Grpc { get; }

    public static async Task<ServerProcess> StartAsync(string modelPath, BenchmarkSettings settings)
    {
        var repository = Directory.CreateTempSubdirectory("aifactory-bench-").FullName;
        Place(repository, Direct, modelPath, $$"""{ "intra_op_threads": {{settings.IntraOpThreads}} }""");
        Place(repository, Batched, modelPath, $$"""
            { "max_batch_size": 64, "dynamic_batching": { "max_queue_delay_us": {{MaxQueueDelayUs}} },
              "inputs": [ { "name": "x", "dims": [3, 48, 192] } ], "warmup": [1, 64],
              "intra_op_threads": {{settings.IntraOpThreads}}, "instance_count": {{settings.Instances}} }
            """);

        var configuration = typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var server = Path.Combine(Paths.Root, "AiFactory.Inference", "bin", configuration, "net10.0", "AiFactory.Inference.dll");
        var (httpPort, grpcPort) = (FreePort(), FreePort());
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
                ["ModelRepository__Path"] = repository,
                ["ModelRepository__PollIntervalSeconds"] = "0",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        foreach (var setting in Environment.GetEnvironmentVariable("AIFACTORY_BENCH_SERVER_ENV")?.Split(';', StringSplitOptions.RemoveEmptyEntries) ?? [])
        {
            // Extra server settings for experiments, e.g. "DOTNET_gcServer=0".
            var (key, value) = (setting.Split('=', 2)[0], setting.Split('=', 2)[1]);
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var result = new ServerProcess(process, repository, new Uri($"http://127.0.0.1:{httpPort}"), new Uri($"http://127.0.0.1:{grpcPort}"));
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

            await Task.Delay(200);
        }

        await result.DisposeAsync();
        throw new TimeoutException("the inference server did not become ready within 120 s");
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

    private static void Place(string repository, string name, string modelPath, string config)
    {
        var version = Directory.CreateDirectory(Path.Combine(repository, name, "1")).FullName;
        File.Copy(modelPath, Path.Combine(version, "model.onnx"));
        File.WriteAllText(Path.Combine(repository, name, "config.json"), config);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
        Directory.Delete(_repository, recursive: true);
    }
}
