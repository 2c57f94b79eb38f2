using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary><c>GET /api/admin/whoami</c> and <c>GET /api/admin/overview</c> against the real application.</summary>
[Collection(AppHostCollection.Name)]
public sealed class OverviewApiTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Whoami_names_an_admin_key_and_refuses_a_key_without_the_admin_scope()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("whoami-infer", ["infer"]);
        using var infer = fixture.CreateGatewayClient(key);

        var bootstrap = JsonNode.Parse(await admin.GetStringAsync("/api/admin/whoami").WaitAsync(Timeout))!;
        using var refused = await infer.GetAsync("/api/admin/whoami").WaitAsync(Timeout);

        Assert.Equal("bootstrap", bootstrap["id"]!.GetValue<string>());
        Assert.Contains("admin", bootstrap["scopes"]!.AsArray().Select(scope => scope!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("the API key does not have the 'admin' scope", OipRequests.ErrorOf(await refused.Content.ReadAsStringAsync()).GetString());
        await admin.RevokeKeyAsync(id);
    }

    [Fact]
    public async Task The_overview_shows_every_replica_with_its_models_and_samples_the_traffic_it_proxied()
    {
        using var admin = fixture.CreateGatewayClient();
        for (var i = 0; i < 10; i++)
        {
            using var content = OipRequests.Json("x", [1, 3, 48, 192], SampleModels.RandomImage(1000 + i, 1, 3, 48, 192));
            using var answer = await admin.PostAsync($"/v2/models/{SampleModels.TextDirection}/infer", content).WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        // Samples are taken every 5 s: within a few of them, one counts the requests above.
        var deadline = Stopwatch.StartNew();
        JsonNode overview;
        do
        {
            await Task.Delay(500);
            overview = JsonNode.Parse(await admin.GetStringAsync("/api/admin/overview").WaitAsync(Timeout))!;
        }
        while (!overview["samples"]!.AsArray().Any(sample => sample!["requests_per_second"]!.GetValue<double>() > 0) && deadline.Elapsed < TimeSpan.FromSeconds(30));

        var replicas = overview["replicas"]!.AsArray();
        Assert.Equal(AppHostFixture.InferenceReplicas.Length, replicas.Count);
        foreach (var replica in replicas)
        {
            Assert.True(replica!["reachable"]!.GetValue<bool>(), replica.ToJsonString());
            Assert.True(replica["ready"]!.GetValue<bool>(), replica.ToJsonString());
            var models = replica["models"]!.AsArray();
            Assert.Contains(models, model => model!["name"]!.GetValue<string>() == SampleModels.TextDirection
                                             && model["state"]!.GetValue<string>() == "READY"
                                             && model["provider"]!.GetValue<string>() == "CPUExecutionProvider");
        }

        var busy = overview["samples"]!.AsArray().Last(sample => sample!["requests_per_second"]!.GetValue<double>() > 0)!;
        Assert.NotNull(busy["p95_ms"]);
        Assert.Equal(5, overview["interval_seconds"]!.GetValue<double>());
        Assert.Equal(["cache", "database", "gateway"], overview["services"]!.AsArray().Select(service => service!["name"]!.GetValue<string>()).Order());
        Assert.All(overview["services"]!.AsArray(), service => Assert.True(service!["healthy"]!.GetValue<bool>(), service.ToJsonString()));
    }
}
