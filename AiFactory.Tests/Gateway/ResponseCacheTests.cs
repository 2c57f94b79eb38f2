using System.Net;
using System.Net.Http.Headers;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>The gateway's Redis response cache, checked against what inference itself counts.</summary>
[Collection(AppHostCollection.Name)]
public sealed class ResponseCacheTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string CacheHeader = "x-aifactory-cache";
    private static readonly long[] Shape = [2, 3, 48, 192];

    [Fact]
    public async Task A_hit_returns_the_same_bytes_as_the_miss_and_never_reaches_inference()
    {
        using var gateway = fixture.CreateGatewayClient();
        var image = SampleModels.RandomImage(seed: 101, 2, 3, 48, 192);

        var (missHeaders, miss) = await InferAsync(gateway, SampleModels.TextDirection, image);
        var counted = await fixture.InferenceCountAsync(SampleModels.TextDirection, CancellationToken.None).WaitAsync(Timeout);
        var (hitHeaders, hit) = await InferAsync(gateway, SampleModels.TextDirection, image);

        Assert.Equal("miss", missHeaders.Cache);
        Assert.Equal("hit", hitHeaders.Cache);
        Assert.Equal(miss, hit);
        Assert.Equal(missHeaders.ContentType, hitHeaders.ContentType);
        Assert.Equal(missHeaders.JsonLength, hitHeaders.JsonLength);
        Assert.Equal(counted, await fixture.InferenceCountAsync(SampleModels.TextDirection, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task No_cache_skips_the_cache_and_reaches_inference()
    {
        using var gateway = fixture.CreateGatewayClient();
        var image = SampleModels.RandomImage(seed: 102, 2, 3, 48, 192);
        await InferAsync(gateway, SampleModels.TextDirection, image);
        var counted = await fixture.InferenceCountAsync(SampleModels.TextDirection, CancellationToken.None).WaitAsync(Timeout);

        var (headers, _) = await InferAsync(gateway, SampleModels.TextDirection, image, noCache: true);

        Assert.Null(headers.Cache);
        Assert.Equal(counted + Shape[0], await fixture.InferenceCountAsync(SampleModels.TextDirection, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_new_model_version_is_never_answered_from_the_old_versions_entry()
    {
        const string model = "cache-probe";
        await using var registry = RegistryTables.Of(fixture);
        using var deadline = new CancellationTokenSource(Timeout);
        using var gateway = fixture.CreateGatewayClient();
        var image = SampleModels.RandomImage(seed: 103, 2, 3, 48, 192);
        var onnx = await File.ReadAllBytesAsync(RepositoryPaths.Model(SampleModels.TextDirection));
        var config = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Models, SampleModels.TextDirection, "config.json"));
        await registry.SetTrafficAsync(model, new Dictionary<int, int> { [await registry.UploadVersionAsync(model, onnx, config)] = 100 });
        await fixture.WaitUntilObservedAsync(model, new Dictionary<int, int> { [1] = 100 }, deadline.Token);
        Assert.Equal(("miss", "1"), Summary(await InferAsync(gateway, model, image)));
        Assert.Equal(("hit", "1"), Summary(await InferAsync(gateway, model, image)));

        var second = await registry.UploadVersionAsync(model, OnnxModelWriter.WithDocString(onnx, "version 2"), config);
        await registry.SetTrafficAsync(model, new Dictionary<int, int> { [second] = 100 });
        await fixture.WaitUntilObservedAsync(model, new Dictionary<int, int> { [2] = 100 }, deadline.Token);

        Assert.Equal(("miss", "2"), Summary(await InferAsync(gateway, model, image)));
        Assert.Equal(("hit", "2"), Summary(await InferAsync(gateway, model, image)));
    }

    [Fact]
    public async Task An_answer_larger_than_the_entry_limit_is_served_whole_and_never_cached()
    {
        await using var instance = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["Gateway:ResponseCache:MaxEntryBytes"] = "64", // less than the answer for two text lines
        });
        using var gateway = instance.CreateClient(fixture.AdminKey);
        var image = SampleModels.RandomImage(seed: 104, 2, 3, 48, 192);

        var (firstHeaders, first) = await InferAsync(gateway, SampleModels.TextDirection, image);
        var (secondHeaders, second) = await InferAsync(gateway, SampleModels.TextDirection, image);

        Assert.Equal(("miss", "miss"), (firstHeaders.Cache, secondHeaders.Cache));
        Assert.True(first.Length > 64, $"the answer has {first.Length} bytes");
        Assert.Equal(first, second);
    }

    private static (string?, string?) Summary(((string? Cache, string? ContentType, string? JsonLength, string? Version) Headers, byte[] Body) answer) =>
        (answer.Headers.Cache, answer.Headers.Version);

    private static async Task<((string? Cache, string? ContentType, string? JsonLength, string? Version) Headers, byte[] Body)> InferAsync(
        HttpClient gateway, string model, float[] image, bool noCache = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{model}/infer")
        {
            Content = OipRequests.BinaryFp32(SampleModels.TextDirectionInput, Shape, image),
        };
        if (noCache)
        {
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        }

        using var response = await gateway.SendAsync(request).WaitAsync(Timeout);
        var body = await response.Content.ReadAsByteArrayAsync().WaitAsync(Timeout);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        return ((Header(response, CacheHeader), response.Content.Headers.ContentType?.ToString(),
            Header(response, "Inference-Header-Content-Length"), Header(response, "x-aifactory-model-version")), body);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : null;
}
