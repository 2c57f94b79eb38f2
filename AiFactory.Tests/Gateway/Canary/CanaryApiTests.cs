using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway.Canary;

/// <summary><c>GET /api/admin/models/{model}/canary</c> against the real application: what the console's canary charts read.</summary>
[Collection(AppHostCollection.Name)]
public sealed class CanaryApiTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_per_version_figures_are_the_requests_the_split_sent_each_version_and_their_failures()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var canary = await FailingCanary.StartAsync(fixture, "canary-api", canaryPercent: 50, deadline.Token);
        // Fewer than the automatic rollback's 50 requests per version: the policy stays in force throughout.
        var sent = new Dictionary<int, (long Requests, long Errors)> { [1] = (0, 0), [2] = (0, 0) };
        for (var i = 0; i < 40; i++)
        {
            var (status, version, _) = await canary.InferAsync(1 + i % 2, i, deadline.Token);
            var figures = sent[int.Parse(version!)];
            sent[int.Parse(version!)] = (figures.Requests + 1, figures.Errors + (status >= 500 ? 1 : 0));
        }

        // A sample every 5 s: within a few, the samples hold every request above.
        using var admin = fixture.CreateGatewayClient();
        JsonNode report;
        Dictionary<int, (long Requests, long Errors)> charted;
        do
        {
            await Task.Delay(500, deadline.Token);
            report = JsonNode.Parse(await admin.GetStringAsync($"/api/admin/models/{canary.Model}/canary", deadline.Token))!;
            charted = Totals(report);
        }
        while (charted.Values.Sum(figures => figures.Requests) < 40 && !deadline.IsCancellationRequested);

        Assert.Equal(sent.OrderBy(pair => pair.Key), charted.OrderBy(pair => pair.Key));
        Assert.Equal((20, 0), sent[1]);
        Assert.True(sent[2].Errors > 10, $"the canary failed only {sent[2].Errors} of its 20 requests");
        Assert.Equal("""{"1":50,"2":50}""", report["weights"]!.ToJsonString());
        Assert.Equal(1, report["stable"]!.GetValue<int>());
        var rollback = report["auto_rollback"]!;
        Assert.Equal((true, 60.0, 50, 0.05, 1.5), (rollback["enabled"]!.GetValue<bool>(), rollback["window_seconds"]!.GetValue<double>(),
            rollback["min_requests"]!.GetValue<int>(), rollback["error_rate_margin"]!.GetValue<double>(), rollback["p95_margin_ratio"]!.GetValue<double>()));
        // What the automatic rollback compares: the same requests, over its own window.
        var judged = report["judged"]!.AsArray().ToDictionary(version => version!["version"]!.GetValue<int>(),
            version => (version!["requests"]!.GetValue<long>(), version["errors"]!.GetValue<long>()));
        Assert.Equal(sent.OrderBy(pair => pair.Key), judged.OrderBy(pair => pair.Key));
        Assert.All(report["samples"]!.AsArray(), sample => Assert.All(sample!["versions"]!.AsArray(), version => Assert.Equal(
            version!["requests"]!.GetValue<long>() / report["interval_seconds"]!.GetValue<double>(), version["requests_per_second"]!.GetValue<double>(), 6)));
    }

    [Fact]
    public async Task A_key_without_the_admin_scope_is_refused_403_and_an_invalid_or_unknown_model_name_is_refused_with_its_reason()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("canary-infer-only", ["infer"]);
        using var infer = fixture.CreateGatewayClient(key);

        // The attacker's key can infer but must not read how each version fares.
        using var forbidden = await infer.GetAsync($"/api/admin/models/{SampleModels.TextDirection}/canary").WaitAsync(Timeout);
        // A name the registry could never hold is refused with the rule; one it does not hold, as unknown.
        using var invalid = await admin.GetAsync("/api/admin/models/bad%21name/canary").WaitAsync(Timeout);
        using var unknown = await admin.GetAsync("/api/admin/models/no-such-model/canary").WaitAsync(Timeout);
        using var nobody = new HttpClient { BaseAddress = admin.BaseAddress };
        using var anonymous = await nobody.GetAsync($"/api/admin/models/{SampleModels.TextDirection}/canary").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("the API key does not have the 'admin' scope", OipRequests.ErrorOf(await forbidden.Content.ReadAsStringAsync()).GetString());
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.StartsWith("invalid model name 'bad!name'", OipRequests.ErrorOf(await invalid.Content.ReadAsStringAsync()).GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("the registry has no model 'no-such-model'", OipRequests.ErrorOf(await unknown.Content.ReadAsStringAsync()).GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        await admin.RevokeKeyAsync(id);
    }

    private static Dictionary<int, (long Requests, long Errors)> Totals(JsonNode report) =>
        report["samples"]!.AsArray().SelectMany(sample => sample!["versions"]!.AsArray())
            .GroupBy(version => version!["version"]!.GetValue<int>())
            .ToDictionary(group => group.Key,
                group => (group.Sum(version => version!["requests"]!.GetValue<long>()), group.Sum(version => version!["errors"]!.GetValue<long>())));
}
