using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Inference.Repository;
using AiFactory.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Inference;

/// <summary>
/// The repository as operators change it: version policies, versions added, replaced and removed on disk while
/// requests run, explicit load and unload, and models that cannot load.
/// </summary>
public sealed class ModelRepositoryTests : IAsyncLifetime
{
    private static readonly float[] Image = SampleModels.RandomImage(seed: 3, 1, 3, 48, 192);
    private readonly ModelFolder _folder = new();
    private WebApplicationFactory<ModelRepository> _factory = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        foreach (var version in new[] { 1, 2, 3 })
        {
            _folder.AddVersion("latest-two", version);
            _folder.AddVersion("specific", version);
            _folder.AddVersion("all", version);
        }

        _folder.WriteConfig("latest-two", """{ "version_policy": { "latest": 2 } }""");
        _folder.WriteConfig("specific", """{ "version_policy": { "specific": [1, 3] } }""");
        _folder.WriteConfig("all", """{ "version_policy": { "all": {} } }""");
        _folder.AddVersion("swap", 1);
        _folder.AddVersion("optimized", 1);
        _folder.WriteConfig("optimized", """{ "save_optimized_model": true, "graph_optimization_level": "extended", "intra_op_threads": 1 }""");
        _folder.AddVersion("broken", 1);
        _folder.WriteConfig("broken", """{ "execution_provider": "gpu" }""");

        _factory = new WebApplicationFactory<ModelRepository>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ModelRepository:Path", _folder.Path);
            web.UseSetting("ModelRepository:PollIntervalSeconds", "0.2");
        });
        _http = _factory.CreateClient();
        // /health answers 200 once the initial load has finished, every model loaded or failed. Counting the index's
        // entries raced it: the folder holds 10 versions, and 9 were all loaded while 'swap' had not started yet.
        await WaitUntilAsync(async () => (await _http.GetAsync("/health")).StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Version_policies_select_the_versions_served()
    {
        var index = await IndexAsync();

        Assert.Equal(["2", "3"], VersionsOf(index, "latest-two"));
        Assert.Equal(["1", "3"], VersionsOf(index, "specific"));
        Assert.Equal(["1", "2", "3"], VersionsOf(index, "all"));
        Assert.Equal(HttpStatusCode.NotFound, (await InferAsync("latest-two", version: "1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await InferAsync("specific", version: "1")).StatusCode);
        Assert.Equal("3", (await ReadAsync(await InferAsync("all"))).Json["model_version"]!.GetValue<string>());
    }

    [Fact]
    public async Task Versions_added_replaced_and_removed_on_disk_under_load_fail_no_request()
    {
        var failures = new ConcurrentQueue<string>();
        var versionsSeen = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await InferAsync("swap");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    continue;
                }

                versionsSeen.AddOrUpdate((await ReadAsync(response)).Json["model_version"]!.GetValue<string>(), 1, (_, n) => n + 1);
            }
        })).ToList();

        // Each step waits until the load has been served by the version it expects, so every swap happens under load.
        await WaitUntilAsync(() => Task.FromResult(versionsSeen.ContainsKey("1")));
        _folder.AddVersion("swap", 2);
        await WaitUntilAsync(async () => VersionsOf(await IndexAsync(), "swap").SequenceEqual(["2"]) && versionsSeen.ContainsKey("2"));
        _folder.ReplaceVersion("swap", 2);
        await Task.Delay(1000);
        _folder.AddVersion("swap", 3);
        await WaitUntilAsync(async () => VersionsOf(await IndexAsync(), "swap").SequenceEqual(["3"]) && versionsSeen.ContainsKey("3"));
        _folder.RemoveVersion("swap", 3);
        await WaitUntilAsync(async () => VersionsOf(await IndexAsync(), "swap").SequenceEqual(["2"]));
        await Task.Delay(500);

        await stop.CancelAsync();
        await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(failures);
        Assert.True(versionsSeen.ContainsKey("1") && versionsSeen.ContainsKey("2") && versionsSeen.ContainsKey("3"),
            $"versions served: {string.Join(", ", versionsSeen.Select(pair => $"{pair.Key}×{pair.Value}"))}");
    }

    [Fact]
    public async Task Unloaded_models_stay_unloaded_until_loaded_again()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsync("/v2/repository/models/all/unload", null)).StatusCode);
        await Task.Delay(600); // several polls: the poller must not bring it back

        var unloaded = (await IndexAsync()).Where(entry => entry.Name == "all").ToList();
        Assert.All(unloaded, entry => Assert.Equal(("UNAVAILABLE", "unloaded"), (entry.State, entry.Reason)));
        using var refused = await InferAsync("all");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("model 'all' version 3 is not ready (UNAVAILABLE: unloaded)", ErrorOf(await refused.Content.ReadAsStringAsync()).GetString());

        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsync("/v2/repository/models/all/load", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await InferAsync("all")).StatusCode);

        using var unknown = await _http.PostAsync("/v2/repository/models/nothing-here/load", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("model 'nothing-here' is not in the repository", ErrorOf(await unknown.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task A_model_that_cannot_load_is_unavailable_with_its_reason_and_the_others_serve()
    {
        var broken = Assert.Single(await IndexAsync(), entry => entry.Name == "broken");

        Assert.Equal("UNAVAILABLE", broken.State);
        Assert.EndsWith("broken/config.json: 'execution_provider' 'gpu' is not one of auto, cuda, tensorrt, cpu", broken.Reason);
        Assert.Equal(HttpStatusCode.OK, (await InferAsync("specific")).StatusCode);
        // Strict protocol readiness names the broken model; Kubernetes readiness (/health) stays up.
        using var ready = await _http.GetAsync("/v2/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("broken/1 (UNAVAILABLE)", ErrorOf(await ready.Content.ReadAsStringAsync()).GetString());
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task An_explicit_provider_that_cannot_load_makes_the_model_unavailable_with_the_reason()
    {
        _folder.AddVersion("on-cuda", 1);
        _folder.WriteConfig("on-cuda", """{ "execution_provider": "cuda" }""");
        await WaitUntilAsync(async () => (await IndexAsync()).Any(entry => entry.Name == "on-cuda" && entry.State != "LOADING"));

        var entry = Assert.Single(await IndexAsync(), entry => entry.Name == "on-cuda");
        if (entry.State == "READY")
        {
            // A machine with CUDA: the model must then run on it.
            var metadata = JsonNode.Parse(await _http.GetStringAsync("/v2/models/on-cuda"))!;
            Assert.Equal("CUDAExecutionProvider", metadata["parameters"]!["execution_provider"]!.GetValue<string>());
        }
        else
        {
            Assert.Equal("UNAVAILABLE", entry.State);
            Assert.Contains("Cuda", entry.Reason, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void The_optimized_graph_is_saved_next_to_the_model_for_the_next_start()
    {
        var optimized = Path.Combine(_folder.Path, "optimized", "1", "model.optimized.CPUExecutionProvider.onnx");
        Assert.True(File.Exists(optimized) && new FileInfo(optimized).Length > 0, $"{optimized} was not written");
    }

    private Task<HttpResponseMessage> InferAsync(string model, string? version = null) =>
        _http.PostAsync(version is null ? $"/v2/models/{model}/infer" : $"/v2/models/{model}/versions/{version}/infer",
            Json("x", [1, 3, 48, 192], Image));

    private async Task<List<(string Name, string Version, string State, string Reason)>> IndexAsync()
    {
        var index = JsonNode.Parse(await (await _http.PostAsync("/v2/repository/index", null)).Content.ReadAsStringAsync())!.AsArray();
        return [.. index.Select(entry => (entry!["name"]!.GetValue<string>(), entry["version"]!.GetValue<string>(),
            entry["state"]!.GetValue<string>(), entry["reason"]!.GetValue<string>()))];
    }

    private static string[] VersionsOf(List<(string Name, string Version, string State, string Reason)> index, string model) =>
        [.. index.Where(entry => entry.Name == model && entry.State == "READY").Select(entry => entry.Version)];

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the repository did not reach the expected state within 60 s");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        _folder.Dispose();
    }
}
