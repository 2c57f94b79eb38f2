using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using AiFactory.Storage;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiFactory.Tests.Storage;

/// <summary>
/// A store that cannot be reached fails every call with <see cref="StorageUnavailableException"/> within the
/// configured timeouts, never after the SDK's defaults (no connect timeout, 100 s per request, retries on top).
/// </summary>
public sealed class StorageOutageTests
{
    // Far above what the settings below allow (about 2 s per attempt), far below the SDK's 100 s request timeout.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stopped_store_fails_every_operation_as_unavailable()
    {
        await using var server = await S3rverProcess.StartAsync();
        using var store = server.CreateStore();
        var stored = await store.PutAsync(ArtifactKeys.Staging(), new MemoryStream([1, 2, 3]), 3, CancellationToken.None).WaitAsync(Bound);

        await server.StopAsync();

        var calls = new Dictionary<string, Func<Task>>
        {
            ["put"] = () => store.PutAsync(ArtifactKeys.Staging(), new MemoryStream([4]), 1, CancellationToken.None),
            ["open"] = () => store.OpenReadAsync(stored.Key, CancellationToken.None),
            ["exists"] = () => store.ExistsAsync(stored.Key, CancellationToken.None),
            ["copy"] = () => store.CopyAsync(stored.Key, ArtifactKeys.Staging(), CancellationToken.None),
            ["delete"] = () => store.DeleteAsync(stored.Key, CancellationToken.None),
            ["bucket"] = () => store.EnsureBucketAsync(CancellationToken.None),
        };
        foreach (var (name, call) in calls)
        {
            var failed = await Assert.ThrowsAsync<StorageUnavailableException>(() => call().WaitAsync(Bound));
            Assert.True(failed.Message.StartsWith($"the object store at {server.Endpoint} cannot be reached"), $"{name}: {failed.Message}");
        }
    }

    [Fact]
    public async Task A_store_that_accepts_connections_but_never_answers_is_unavailable_after_the_request_timeout()
    {
        // A hung server: the TCP handshake succeeds (the kernel's backlog), no byte ever comes back.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var options = HungStoreOptions(silent);
        options.RequestTimeout = TimeSpan.FromSeconds(2);
        options.MaxErrorRetries = 1;
        using var store = new S3ObjectStore(Options.Create(options));

        var failed = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.ExistsAsync("any", CancellationToken.None).WaitAsync(Bound));

        Assert.StartsWith($"the object store at {options.Endpoint} cannot be reached", failed.Message);
    }

    [Fact]
    public async Task The_callers_cancellation_stays_a_cancellation()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var store = new S3ObjectStore(Options.Create(HungStoreOptions(silent)));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ExistsAsync("any", cancel.Token).WaitAsync(Bound));
    }

    private static StorageOptions HungStoreOptions(TcpListener silent) => new()
    {
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"),
        AccessKey = "key",
        SecretKey = "secret",
        Bucket = "aifactory",
        ChunkedUploads = false,
    };

    [Fact]
    public async Task The_monitor_logs_and_reports_when_the_store_goes_away_and_comes_back()
    {
        await using var server = await S3rverProcess.StartAsync();
        var log = new RecordingLoggerProvider();
        await using var services = new ServiceCollection()
            .AddMetrics()
            .AddLogging(logging => logging.AddProvider(log))
            .AddSingleton(Options.Create(server.Options(options => options.MaxErrorRetries = 0)))
            .AddSingleton<IObjectStore, S3ObjectStore>()
            .AddSingleton<ObjectStoreMonitor>()
            .BuildServiceProvider();
        var monitor = services.GetRequiredService<ObjectStoreMonitor>();
        var gauge = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "aifactory.storage.available")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => gauge.Add(value));
        listener.Start();

        await monitor.ProbeAsync(CancellationToken.None).WaitAsync(Bound);
        listener.RecordObservableInstruments();
        await server.StopAsync();
        await monitor.ProbeAsync(CancellationToken.None).WaitAsync(Bound);
        listener.RecordObservableInstruments();

        Assert.Equal([1, 0], gauge);
        Assert.False(monitor.IsAvailable);
        Assert.Contains($"The object store at {server.Endpoint} answers", log.ToString());
        Assert.Contains($"The object store at {server.Endpoint} cannot be reached: the object store at {server.Endpoint} cannot be reached", log.ToString());
    }
}
