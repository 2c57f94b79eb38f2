using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// PostgreSQL holds keys and usage, but a database outage is not a gateway outage: keys already checked keep working
/// (for a bounded time), a gateway replica started meanwhile waits instead of exiting, and no usage is lost or doubled.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class PostgresOutageTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan RequestInterval = TimeSpan.FromMilliseconds(500);
    private const string Metadata = $"/v2/models/{SampleModels.TextDirection}";

    [Fact]
    public async Task With_postgres_stopped_for_three_minutes_checked_keys_keep_working_a_new_gateway_becomes_ready_after_and_usage_is_exact()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("postgres-outage", ["infer"]);
        using var client = fixture.CreateGatewayClient(key);
        long sent = 0;
        await SendAsync(client, "before the outage");
        sent++;

        GatewayInstance? second = null;
        using var cancellation = new CancellationTokenSource(Outage + TimeSpan.FromMinutes(3));
        await fixture.StopResourceAsync("postgres", cancellation.Token);
        try
        {
            var outage = Stopwatch.StartNew();
            // Started while PostgreSQL is down: it must start, be alive and not ready.
            second = await GatewayInstance.StartAsync(fixture, waitUntilReady: false).WaitAsync(Timeout);
            using var probe = second.CreateClient(key);
            Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/alive").WaitAsync(Timeout)).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await probe.GetAsync("/health").WaitAsync(Timeout)).StatusCode);
            using (var unchecked_ = await probe.GetAsync(Metadata).WaitAsync(Timeout))
            {
                // A key this replica never checked cannot be checked now.
                Assert.Equal(HttpStatusCode.ServiceUnavailable, unchecked_.StatusCode);
                Assert.Equal("the API key cannot be checked now: the key store is unavailable",
                    OipRequests.ErrorOf(await unchecked_.Content.ReadAsStringAsync()).GetString());
            }

            // The key was checked before the outage; it outlives its one-minute cache through stale-if-error.
            var duringOutage = 0;
            while (outage.Elapsed < Outage)
            {
                await SendAsync(client, $"{outage.Elapsed:mm\\:ss} into the outage");
                duringOutage++;
                await Task.Delay(RequestInterval);
            }

            sent += duringOutage;
            // Working means answering, not waiting out a connect timeout per request: one request each 500 ms would
            // be 360; a gateway that asked the unreachable store for every request answered a dozen.
            Assert.True(duringOutage >= 60, $"only {duringOutage} requests were answered in the {Outage} outage");
        }
        finally
        {
            await fixture.StartResourceAsync("postgres", cancellation.Token);
        }

        await using (second)
        {
            // It migrates and becomes ready once PostgreSQL answers again.
            await second!.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
            using var probe = second.CreateClient(key);
            for (var i = 0; i < 5; i++)
            {
                await SendAsync(probe, "through the gateway started during the outage");
                sent++;
            }
        }

        // Both gateways have written everything (the second one as it stopped). Ambiguous writes right after the
        // restart (pooled connections to the old server break) are written again under their ids: exact, not more.
        var report = await admin.WaitForUsageAsync(id, sent, TimeSpan.FromSeconds(30));
        var rows = report["rows"]!.AsArray();
        Assert.True(sent == report["total_requests"]!.GetValue<long>(), $"sent {sent}: {report.ToJsonString()}");
        Assert.All(rows, row => Assert.Equal(200, row!["status"]!.GetValue<int>()));
        await Task.Delay(TimeSpan.FromSeconds(12)); // two more flush intervals: nothing is written twice
        Assert.Equal(sent, (await admin.UsageAsync(id))["total_requests"]!.GetValue<long>());
    }

    private static async Task SendAsync(HttpClient client, string when)
    {
        using var response = await client.GetAsync(Metadata).WaitAsync(Timeout);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{when}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
