extern alias gateway;

using System.Diagnostics;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using IObservedTraffic = gateway::AiFactory.Gateway.Registry.IObservedTraffic;

namespace AiFactory.Tests.Registry;

/// <summary>
/// Observed beside desired: a version gets traffic only once every replica serves it, and the gateway reports each
/// replica's versions. Measures how long a change takes to be observed (reported, not asserted: the benchmark is where
/// performance is judged).
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ObservedStateTests(AppHostFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly byte[] Identity = OnnxModelWriter.Identity("FP32");
    private readonly string _model = $"observe-{Guid.NewGuid():N}"[..17];
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromMinutes(4));
    private RegistryTables _registry = null!;

    public Task InitializeAsync()
    {
        _registry = RegistryTables.Of(fixture);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_change_of_traffic_is_observed_on_every_replica_and_each_replica_reports_its_versions()
    {
        await using var gateway = await GatewayInstance.StartAsync(fixture);
        var observed = gateway.Services.GetRequiredService<IObservedTraffic>();
        await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [await Upload(1)] = 100 });
        await WaitAsync(observed, "1=100");

        // New versions: download, verify, load and warm on every replica, then observed.
        var newVersions = new List<double>();
        for (var version = 2; version <= 4; version++)
        {
            await Upload(version);
            var started = Stopwatch.GetTimestamp();
            await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [version - 1] = 50, [version] = 50 });
            await WaitAsync(observed, $"{version - 1}=50 {version}=50");
            newVersions.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        // Weights over versions every replica already serves (the policy and its parent stay loaded).
        var reweights = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var (stable, canary) = i % 2 == 0 ? (90, 10) : (50, 50);
            var started = Stopwatch.GetTimestamp();
            await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [3] = stable, [4] = canary });
            await WaitAsync(observed, $"3={stable} 4={canary}");
            reweights.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var replicas = observed.Replicas(_model);
        Assert.Equal(AppHostFixture.InferenceReplicas.Length, replicas.Count);
        Assert.All(replicas, replica => Assert.True(replica.Ready && replica.Versions.GetValueOrDefault(3) == "ready" && replica.Versions.GetValueOrDefault(4) == "ready",
            $"{replica.Name}: ready {replica.Ready}, {string.Join(", ", replica.Versions.Select(version => $"{version.Key}={version.Value}"))}"));
        output.WriteLine($"traffic set → observed on every replica, new version (download, verify, load, warm): median {Median(newVersions):0} ms of [{string.Join(", ", newVersions.Select(ms => ms.ToString("0")))}]");
        output.WriteLine($"traffic set → observed on every replica, versions already loaded: median {Median(reweights):0} ms of [{string.Join(", ", reweights.Select(ms => ms.ToString("0")))}]");
    }

    private Task<int> Upload(int n) => _registry.UploadVersionAsync(_model, OnnxModelWriter.WithDocString(Identity, $"version {n}"));

    private async Task WaitAsync(IObservedTraffic observed, string weights)
    {
        while (string.Join(" ", observed.Weights(_model).OrderBy(weight => weight.Key).Select(weight => $"{weight.Key}={weight.Value}")) != weights)
        {
            await Task.Delay(10, _deadline.Token);
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    public async Task DisposeAsync()
    {
        _deadline.Dispose();
        await _registry.DisposeAsync();
    }
}
