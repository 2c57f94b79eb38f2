extern alias gateway;

using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using GatewayReplicas = gateway::AiFactory.Gateway.RateLimiting.GatewayReplicas;
using RedisRateLimiter = gateway::AiFactory.Gateway.RateLimiting.RedisRateLimiter;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// Redis is a cache and a limiter, not a dependency: with it stopped, the gateway keeps serving and metering, and
/// each replica enforces its share of every key's rate limit.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class RedisOutageTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Metadata = $"/v2/models/{SampleModels.TextDirection}";

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
        // Inference and metadata alike: the traffic split names the version the model's policy serves.
        Assert.Equal(sent, rows.Where(row => row!["version"]!.GetValue<string>() == "1").Sum(row => row!["requests"]!.GetValue<long>()));
    }

    [Fact]
    public async Task With_redis_stopped_each_gateway_replica_limits_a_key_to_its_share_and_the_shared_limit_returns_with_redis()
    {
        const double rate = 10;
        const int burst = 10;
        const int perReplica = 40; // 4 s at 10 requests per second to each of the two replicas: twice the key's rate
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync("redis-outage-limits", ["infer"], requestsPerSecond: rate, burst: burst);
        await using var other = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?> { ["Gateway:RateLimits:HeartbeatInterval"] = "00:00:01" });
        using var first = fixture.CreateGatewayClient(key);
        using var second = other.CreateClient(key);
        // Both replicas have heard from each other through Redis (the AppHost's gateway every 5 s).
        await WaitUntilAsync(async () => await fixture.GatewayMetricAsync("aifactory_gateway_ratelimit_replicas") == 2
                                         && other.Services.GetRequiredService<GatewayReplicas>().Count == 2, "both gateway replicas count 2 replicas");

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await fixture.StopResourceAsync("cache", cancellation.Token);
        HttpResponseMessage[] responses;
        double elapsed, degraded;
        try
        {
            var clock = Stopwatch.StartNew();
            var requests = new List<Task<HttpResponseMessage>>();
            for (var i = 0; i < 2 * perReplica; i++)
            {
                var due = TimeSpan.FromMilliseconds(i * 1000 / (2 * rate));
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed);
                }

                requests.Add((i % 2 == 0 ? first : second).GetAsync(Metadata).WaitAsync(Timeout));
            }

            responses = await Task.WhenAll(requests);
            elapsed = clock.Elapsed.TotalSeconds;
            degraded = await fixture.GatewayMetricAsync("aifactory_gateway_ratelimit_degraded");
        }
        finally
        {
            await fixture.StartResourceAsync("cache", cancellation.Token);
        }

        // Each replica: its share, rate/2 and burst/2, so together about the key's own limit (+1: a token refilled while the last request flew).
        foreach (var replica in new[] { responses.Where((_, i) => i % 2 == 0).ToList(), responses.Where((_, i) => i % 2 == 1).ToList() })
        {
            var allowed = replica.Count(r => r.StatusCode == HttpStatusCode.OK);
            var refused = replica.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.Equal(perReplica, allowed + refused.Count);
            Assert.InRange(allowed, 0.6 * rate / 2 * elapsed, rate / 2 * elapsed + burst / 2 + 1);
            foreach (var response in refused)
            {
                var retryAfter = int.Parse(response.Headers.RetryAfter!.ToString());
                Assert.Equal($"the API key's rate limit of 10 requests per second (burst 10) is exceeded; retry after {retryAfter} s " +
                             "(Redis is unavailable: this gateway replica allows its share of 2 replicas, 5 requests per second, burst 5)",
                    OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
            }
        }

        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) <= rate * elapsed + burst + 2);
        Assert.Equal(1, degraded);

        // Redis is back: the limit is shared again. A fresh key's whole burst passes one replica (its local share
        // would be half of it), the next request is refused without the outage note, and its bucket is in Redis.
        await WaitUntilAsync(async () => await fixture.GatewayMetricAsync("aifactory_gateway_ratelimit_degraded") == 0, "the gateway shares rate limits through Redis again");
        var (againId, againKey) = await admin.CreateKeyAsync("redis-back-limits", ["infer"], requestsPerSecond: 0.01, burst: 6);
        using var again = fixture.CreateGatewayClient(againKey);
        for (var i = 0; i < 6; i++)
        {
            using var response = await again.GetAsync(Metadata).WaitAsync(Timeout);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {i} after Redis came back: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        using var seventh = await again.GetAsync(Metadata).WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.TooManyRequests, seventh.StatusCode);
        Assert.DoesNotContain("Redis is unavailable", await seventh.Content.ReadAsStringAsync());
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("cache"))!);
        Assert.True(await redis.GetDatabase().KeyExistsAsync(RedisRateLimiter.BucketOf(againId)));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"waited 30 s for: {what}");
            await Task.Delay(500);
        }
    }
}
