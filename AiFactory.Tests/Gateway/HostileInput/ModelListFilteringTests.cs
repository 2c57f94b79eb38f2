using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway.HostileInput;

/// <summary>
/// A key limited to one model asks for the lists of every model (the repository index, the statistics of every
/// model) to learn what else is served. It sees only its own models, in the protocol's shape; a key without a list
/// sees every model.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ModelListFilteringTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string Allowed = SampleModels.TextDirection;

    [Fact]
    public async Task The_repository_index_shows_a_restricted_key_only_its_models()
    {
        var index = await ListAsync(await KeyAsync([Allowed]), HttpMethod.Post, "/v2/repository/index");

        var names = index.AsArray().Select(entry => entry!["name"]!.GetValue<string>()).ToList();
        Assert.Contains(Allowed, names);
        Assert.All(names, name => Assert.Equal(Allowed, name));
        Assert.All(index.AsArray(), entry => Assert.NotNull(entry!["state"]));
    }

    [Fact]
    public async Task The_statistics_of_every_model_show_a_restricted_key_only_its_models()
    {
        // "stats" is not a model here: the path is the statistics of every model.
        var statistics = await ListAsync(await KeyAsync([Allowed]), HttpMethod.Get, "/v2/models/stats");

        var names = statistics["model_stats"]!.AsArray().Select(entry => entry!["name"]!.GetValue<string>()).ToList();
        Assert.Contains(Allowed, names);
        Assert.All(names, name => Assert.Equal(Allowed, name));
    }

    [Fact]
    public async Task A_key_without_an_allow_list_sees_every_model()
    {
        var key = await KeyAsync(null);

        var indexed = (await ListAsync(key, HttpMethod.Post, "/v2/repository/index")).AsArray().Select(entry => entry!["name"]!.GetValue<string>());
        var counted = (await ListAsync(key, HttpMethod.Get, "/v2/models/stats"))["model_stats"]!.AsArray().Select(entry => entry!["name"]!.GetValue<string>());

        Assert.Superset(new HashSet<string>([SampleModels.TextDirection, SampleModels.TextDetection]), indexed.ToHashSet());
        Assert.Superset(new HashSet<string>([SampleModels.TextDirection, SampleModels.TextDetection]), counted.ToHashSet());
    }

    [Fact]
    public async Task A_model_list_too_large_to_filter_is_refused_rather_than_sent_unfiltered()
    {
        await using var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["Gateway:ModelAccess:MaxModelListBytes"] = "256", // less than the statistics of one model version
        });
        using var client = gateway.CreateClient(await KeyAsync([Allowed]));

        using var response = await client.GetAsync("/v2/models/stats").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("inference's model list is larger than 256 bytes (Gateway:ModelAccess:MaxModelListBytes), too large to filter for the API key's model allow-list",
            OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    /// <summary>The list's JSON, after checking the answer is whole: its Content-Length is the length of its body.</summary>
    private async Task<JsonNode> ListAsync(string key, HttpMethod method, string path)
    {
        using var client = fixture.CreateGatewayClient(key);
        using var response = await client.SendAsync(new HttpRequestMessage(method, path)).WaitAsync(Timeout);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        return JsonNode.Parse(body)!;
    }

    private async Task<string> KeyAsync(string[]? models)
    {
        using var admin = fixture.CreateGatewayClient();
        return (await admin.CreateKeyAsync("model-lists", ["infer"], models: models)).Key;
    }
}
