using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Inference.Repository;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// An inference replica in registry mode, in-process, on the AppHost's PostgreSQL (as the replicas' read-only role)
/// and object store unless told otherwise, with a model cache of its own: a replica a test can start, stop, start
/// again on the same cache, and point at servers that do not answer.
/// </summary>
public sealed class InferenceInstance : IAsyncDisposable
{
    private readonly WebApplicationFactory<ModelRepository> _factory;

    private InferenceInstance(WebApplicationFactory<ModelRepository> factory, string cache) => (_factory, CachePath) = (factory, cache);

    /// <summary>The replica's model cache (<c>ModelRepository:Path</c>).</summary>
    public string CachePath { get; }

    public IServiceProvider Services => _factory.Services;

    public HttpClient Http => field ??= _factory.CreateClient();

    /// <summary>
    /// Starts a replica and waits until it is ready (its first reconciliation done). <paramref name="settings"/>
    /// replace the defaults: the AppHost's connection strings, a 1 s poll, no unload delay.
    /// </summary>
    public static async Task<InferenceInstance> StartAsync(AppHostFixture fixture, string cache, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var replica = fixture.EnvironmentOf(AppHostFixture.InferenceReplicas[0]);
        var configuration = new Dictionary<string, string?>
        {
            ["Registry:Enabled"] = "true",
            ["Registry:PollInterval"] = "00:00:01",
            ["Registry:UnloadDelay"] = "00:00:00",
            ["ModelRepository:Path"] = cache,
            ["ConnectionStrings:aifactory"] = replica["ConnectionStrings__aifactory"],
            ["ConnectionStrings:storage"] = replica["ConnectionStrings__storage"],
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var factory = new WebApplicationFactory<ModelRepository>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in configuration)
            {
                web.UseSetting(key, value);
            }
        });
        var instance = new InferenceInstance(factory, cache);
        try
        {
            await instance.WaitUntilAsync(async () => (await instance.Http.GetAsync("/health")).StatusCode == HttpStatusCode.OK, "ready");
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>The replica's repository index: model → version → state.</summary>
    public async Task<Dictionary<string, Dictionary<string, (string State, string Reason)>>> IndexAsync()
    {
        using var response = await Http.PostAsync("/v2/repository/index", null).WaitAsync(TimeSpan.FromSeconds(30));
        var entries = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        return entries.GroupBy(entry => entry!["name"]!.GetValue<string>()).ToDictionary(
            group => group.Key,
            group => group.ToDictionary(entry => entry!["version"]!.GetValue<string>(),
                entry => (entry!["state"]!.GetValue<string>(), entry["reason"]?.GetValue<string>() ?? "")));
    }

    /// <summary>The versions of <paramref name="model"/> the replica lists, with their states (<c>1=READY 2=UNAVAILABLE</c>).</summary>
    public async Task<string> StatesAsync(string model) =>
        (await IndexAsync()).TryGetValue(model, out var versions)
            ? string.Join(" ", versions.OrderBy(version => long.Parse(version.Key)).Select(version => $"{version.Key}={version.Value.State}"))
            : "";

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after 60 s saying what was awaited.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the replica was not {what} within 60 s: {await DescribeAsync()}");
            await Task.Delay(100);
        }
    }

    private async Task<string> DescribeAsync()
    {
        try
        {
            return string.Join("; ", (await IndexAsync()).Select(model => $"{model.Key}: " + string.Join(", ",
                model.Value.Select(version => $"{version.Key} {version.Value.State} {version.Value.Reason}"))));
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException)
        {
            return e.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
    }
}
