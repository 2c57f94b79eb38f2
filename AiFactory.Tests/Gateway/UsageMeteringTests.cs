using System.Net;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// Usage counted in memory reaches PostgreSQL: when a gateway replica stops gracefully before its next flush, all of it;
/// when it is killed, all but what the documented bound allows; never more than was counted. Its backlog is bounded.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class UsageMeteringTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // The AppHost's gateway runs with the defaults: Gateway:Usage:FlushInterval, and the write timeout of a flush.
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_gateway_stopping_gracefully_writes_the_usage_it_counted_by_key_model_version_and_status()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("shutdown-flush", ["infer"], models: [SampleModels.TextDirection]);
        var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            // No periodic flush during the test: only the one at shutdown can write these.
            ["Gateway:Usage:FlushInterval"] = "00:10:00",
        });
        await using (gateway)
        {
            using var client = gateway.CreateClient(key);
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v2/models/{SampleModels.TextDirection}/versions/1").WaitAsync(Timeout)).StatusCode);
            }

            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/v2/models/{SampleModels.TextDetection}").WaitAsync(Timeout)).StatusCode);
            Assert.Equal(0, (await admin.UsageAsync(id))["total_requests"]!.GetValue<long>());
        }

        var rows = (await admin.UsageAsync(id))["rows"]!.AsArray()
            .Select(row => (row!["model"]!.GetValue<string>(), row["version"]!.GetValue<string>(), row["status"]!.GetValue<int>(), row["requests"]!.GetValue<long>()))
            .ToList();
        Assert.Equal([(SampleModels.TextDetection, "", 403, 1L), (SampleModels.TextDirection, "1", 200, 5L)], rows);
    }

    [Fact]
    public async Task A_gateway_killed_with_sigkill_loses_at_most_the_usage_of_its_last_flush_interval_and_write_and_never_counts_twice()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("sigkill", ["infer"]);
        using var client = fixture.CreateGatewayClient(key);
        const int flushed = 10, older = 10, recent = 10;

        await SendAsync(client, flushed);
        Assert.Equal(flushed, (await admin.WaitForUsageAsync(id, flushed, 4 * FlushInterval))["total_requests"]!.GetValue<long>());
        await SendAsync(client, older);
        // README's bound: what was counted more than one flush interval and one write before the kill is written.
        await Task.Delay(FlushInterval + WriteTimeout);
        await SendAsync(client, recent);

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            using var gateway = fixture.ProcessOf("gateway");
            gateway.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
            await fixture.App.ResourceNotifications.WaitForResourceAsync("gateway", KnownResourceStates.TerminalStates, cancellation.Token);
        }
        finally
        {
            // A wait of its own: under a heavily loaded machine (load 60+) `dotnet run` starting the gateway again has
            // taken longer than the kill's three minutes; the assertion below is about usage, not start-up time.
            using var restart = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            await fixture.StartResourceAsync("gateway", restart.Token);
        }

        using var restartedAdmin = fixture.CreateGatewayClient();
        var written = (await restartedAdmin.UsageAsync(id))["total_requests"]!.GetValue<long>();
        Assert.InRange(written, flushed + older, flushed + older + recent);
    }

    [Fact]
    public async Task At_the_backlog_limit_keyed_requests_get_503_and_the_usage_counted_before_is_written()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("backlog-limit", ["infer"]);
        var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            // Nothing is written before the gateway stops, so the backlog only grows.
            ["Gateway:Usage:FlushInterval"] = "00:10:00",
            ["Gateway:Usage:MaxBacklogRows"] = "3",
        });
        await using (gateway)
        {
            using var client = gateway.CreateClient(key);
            // Three usage rows: each model (and version) its own.
            foreach (var (model, status) in new[] { (SampleModels.TextDirection, HttpStatusCode.OK), (SampleModels.TextDetection, HttpStatusCode.OK), ($"{SampleModels.TextDirection}-unknown", HttpStatusCode.NotFound) })
            {
                using var counted = await client.GetAsync($"/v2/models/{model}").WaitAsync(Timeout);
                Assert.Equal(status, counted.StatusCode);
            }

            using var refused = await client.GetAsync($"/v2/models/{SampleModels.TextDirection}").WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(
                "usage cannot be recorded now: this gateway holds as much unwritten usage as it may (the usage database is not taking it); try again later",
                OipRequests.ErrorOf(await refused.Content.ReadAsStringAsync()).GetString());
            Assert.NotNull(refused.Headers.RetryAfter);

            // The monitoring overlay's alert reads these.
            var metrics = await gateway.ScrapeMetricsAsync().WaitAsync(Timeout);
            Assert.Matches(@"(?m)^aifactory_gateway_usage_backlog(\{[^}]*\})? 3(\.0)?( |$)", metrics);
            Assert.Matches(@"(?m)^aifactory_gateway_usage_backlog_limit(\{[^}]*\})? 3(\.0)?( |$)", metrics);
            Assert.Matches(@"(?m)^aifactory_gateway_usage_rejections_total(\{[^}]*\})? 1(\.0)?( |$)", metrics);
        }

        var rows = (await admin.UsageAsync(id))["rows"]!.AsArray()
            .Select(row => (row!["model"]!.GetValue<string>(), row["version"]!.GetValue<string>(), row["status"]!.GetValue<int>(), row["requests"]!.GetValue<long>()))
            .ToList();
        Assert.Equal([(SampleModels.TextDetection, "1", 200, 1L), (SampleModels.TextDirection, "1", 200, 1L), ($"{SampleModels.TextDirection}-unknown", "", 404, 1L)],
            rows.OrderBy(row => row.Item1, StringComparer.Ordinal));
    }

    private static async Task SendAsync(HttpClient client, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            using var response = await client.GetAsync($"/v2/models/{SampleModels.TextDirection}").WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
