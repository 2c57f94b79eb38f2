using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>Redis is a cache and a limiter, not a dependency: with it stopped, the gateway keeps serving and metering.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RedisOutageTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task With_redis_stopped_requests_succeed_and_usage_in_postgres_equals_the_requests_sent()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("redis-outage", ["infer"]);
        using var client = fixture.CreateGatewayClient(key);
        var image = SampleModels.RandomImage(seed: 201, 1, 3, 48, 192);
        const int sent = 30;

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await fixture.StopResourceAsync("cache", cancellation.Token);
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < sent; i++)
            {
                // Inference (rate limit and cache both ask Redis) and metadata (rate limit only).
                using var response = i % 2 == 0
                    ? await client.PostAsync($"/v2/models/{SampleModels.TextDirection}/infer", OipRequests.BinaryFp32("x", [1, 3, 48, 192], image)).WaitAsync(Timeout)
                    : await client.GetAsync($"/v2/models/{SampleModels.TextDirection}").WaitAsync(Timeout);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
        finally
        {
            Console.WriteLine($"requests with redis stopped took {stopped.Elapsed}");
            await fixture.StartResourceAsync("cache", cancellation.Token);
            Console.WriteLine($"redis back after {stopped.Elapsed}");
        }

        // Usage reaches PostgreSQL at the gateway's next flush (every 5 s by default).
        var flushed = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonNode report;
        do
        {
            await Task.Delay(500);
            report = JsonNode.Parse(await admin.GetStringAsync($"/api/admin/usage?key_id={id}").WaitAsync(Timeout))!;
        }
        while (report["total_requests"]!.GetValue<long>() < sent && DateTime.UtcNow < flushed);

        Assert.True(sent == report["total_requests"]!.GetValue<long>(), report.ToJsonString());
        var rows = report["rows"]!.AsArray();
        Assert.All(rows, row => Assert.Equal(200, row!["status"]!.GetValue<int>()));
        Assert.All(rows, row => Assert.Equal(SampleModels.TextDirection, row!["model"]!.GetValue<string>()));
        Assert.Equal(sent / 2, rows.Where(row => row!["version"]!.GetValue<string>() == "1").Sum(row => row!["requests"]!.GetValue<long>()));
    }
}
