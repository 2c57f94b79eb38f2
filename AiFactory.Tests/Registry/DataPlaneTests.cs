using Aspire.Hosting.Testing;
using System.Security.Cryptography;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Registry;

/// <summary>
/// The replicas' side of the registry in the real AppHost: a replica that lost its cache, and the object store going
/// away while requests are served.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class DataPlaneTests(AppHostFixture fixture) : IAsyncLifetime
{
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromMinutes(4));
    private RegistryTables _registry = null!;

    public Task InitializeAsync()
    {
        _registry = RegistryTables.Of(fixture);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_replica_restarted_with_an_empty_cache_downloads_what_the_registry_wants_and_serves_it()
    {
        const string replica = "inference-2";
        var cache = Path.Combine(fixture.DataDirectory, "replicas", replica, "models");
        Assert.True(File.Exists(Path.Combine(cache, "registry-state.json")), "the replica recorded no desired state");

        await fixture.KillResourceAsync(replica, _deadline.Token);
        Directory.Delete(cache, recursive: true);
        await fixture.StartResourceAsync(replica, _deadline.Token);

        using var http = new HttpClient { BaseAddress = fixture.App.GetEndpoint(replica, "http") };
        foreach (var sample in new[] { SampleModels.TextDirection, SampleModels.TextDetection })
        {
            Assert.True((await http.GetAsync($"/v2/models/{sample}/versions/1/ready", _deadline.Token)).IsSuccessStatusCode, $"{replica} does not serve {sample}");
            var file = Path.Combine(cache, sample, "1", "model.onnx");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(RepositoryPaths.Model(sample)))),
                Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file))));
        }

        Assert.True(File.Exists(Path.Combine(cache, "registry-state.json")));
        await fixture.WaitUntilObservedAsync(SampleModels.TextDirection, new Dictionary<int, int> { [1] = 100 }, _deadline.Token);
    }

    [Fact]
    public async Task Stopping_the_object_store_while_serving_loses_no_request_and_a_version_asked_for_meanwhile_loads_when_it_returns()
    {
        var model = $"outage-{Guid.NewGuid():N}"[..16];
        var identity = OnnxModelWriter.Identity("FP32");
        await _registry.SetTrafficAsync(model, new Dictionary<int, int> { [await _registry.UploadVersionAsync(model, OnnxModelWriter.WithDocString(identity, "1"))] = 100 });
        await fixture.WaitUntilObservedAsync(model, new Dictionary<int, int> { [1] = 100 }, _deadline.Token);
        await _registry.UploadVersionAsync(model, OnnxModelWriter.WithDocString(identity, "2"));
        using var client = await ContinuousLoad.ClientAsync(fixture, $"{model}-load");
        var image = SampleModels.RandomImage(seed: 5, 1, 3, 48, 192);
        var load = ContinuousLoad.Start(2, (worker, cancellation) => worker == 0
            ? ContinuousLoad.InferAsync(client, $"/v2/models/{SampleModels.TextDirection}/infer", OipRequests.BinaryFp32(SampleModels.TextDirectionInput, [1, 3, 48, 192], image), cancellation)
            : ContinuousLoad.InferAsync(client, $"/v2/models/{model}/infer", OipRequests.Json("in_fp32", [1, 2], [1, 2]), cancellation));

        await fixture.StopResourceAsync("storage", _deadline.Token);
        try
        {
            // Version 2 cannot be downloaded now: traffic stays on version 1 until every replica serves it.
            await _registry.SetTrafficAsync(model, new Dictionary<int, int> { [1] = 50, [2] = 50 });
            await Task.Delay(TimeSpan.FromSeconds(5), _deadline.Token);
        }
        finally
        {
            await fixture.StartResourceAsync("storage", _deadline.Token);
        }

        await fixture.WaitUntilObservedAsync(model, new Dictionary<int, int> { [1] = 50, [2] = 50 }, _deadline.Token);
        var samples = await load.StopAsync();

        var failed = samples.Where(sample => sample.Status != 200).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {samples.Count} requests failed: {string.Join("; ", failed.Take(5))}");
        Assert.True(samples.Count(sample => sample.Version is not null) > 20, $"only {samples.Count} requests were served");
    }

    public async Task DisposeAsync()
    {
        _deadline.Dispose();
        await _registry.DisposeAsync();
    }
}
