extern alias gateway;

using System.Globalization;
using System.Net;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using RateLimitBucketSweeper = gateway::AiFactory.Gateway.RateLimiting.RateLimitBucketSweeper;
using RedisRateLimiter = gateway::AiFactory.Gateway.RateLimiting.RedisRateLimiter;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// Redis is bounded (maxmemory) and, when full, gives up cached answers and never rate-limit state: one instance,
/// volatile-lru, cache entries with an expiry and buckets without one.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class RedisMemoryPolicyTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Metadata = $"/v2/models/{SampleModels.TextDirection}";

    [Fact]
    public async Task Redis_filled_with_cached_answers_past_maxmemory_evicts_answers_and_never_a_rate_limit_bucket()
    {
        await using var redis = await ConnectAsync();
        var server = redis.GetServers().Single();
        var config = (await server.ConfigGetAsync("maxmemory*")).ToDictionary(pair => pair.Key, pair => pair.Value);
        Assert.Equal("volatile-lru", config["maxmemory-policy"]);
        Assert.Equal((256L * 1024 * 1024).ToString(CultureInfo.InvariantCulture), config["maxmemory"]);

        // A key that has spent its burst and refills one request per 100 s: a new bucket would let it through again.
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("eviction", ["infer"], requestsPerSecond: 0.01, burst: 2);
        using var client = fixture.CreateGatewayClient(key);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(client, 3));
        var bucket = RedisRateLimiter.BucketOf(id);
        Assert.True(await redis.GetDatabase().KeyExistsAsync(bucket));
        Assert.Null(await redis.GetDatabase().KeyTimeToLiveAsync(bucket));

        var evictedBefore = await StatAsync(server, "stats", "evicted_keys");
        // Room for a few more answers than Redis holds now, then answers until Redis has had to evict some.
        var limit = await StatAsync(server, "memory", "used_memory") + 4 * 1024 * 1024;
        await server.ConfigSetAsync("maxmemory", limit);
        var answers = 0;
        try
        {
            using var gateway = fixture.CreateGatewayClient();
            while (await StatAsync(server, "stats", "evicted_keys") == evictedBefore)
            {
                Assert.True(answers < 300, $"{answers} cached answers did not fill {limit} bytes");
                var image = SampleModels.RandomImage(seed: 9000 + answers++, 1, 3, 128, 128);
                using var response = await gateway.PostAsync($"/v2/models/{SampleModels.TextDetection}/infer",
                    OipRequests.BinaryFp32("x", [1, 3, 128, 128], image)).WaitAsync(Timeout);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("miss", response.Headers.GetValues("x-aifactory-cache").Single());
            }
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", config["maxmemory"]);
        }

        Console.WriteLine($"{answers} answers of 128×128 detection filled Redis to {limit} bytes; evicted {await StatAsync(server, "stats", "evicted_keys") - evictedBefore} keys");
        Assert.True(await redis.GetDatabase().KeyExistsAsync(bucket), "the rate-limit bucket was evicted");
        Assert.True(double.Parse((string)(await redis.GetDatabase().HashGetAsync(bucket, "tokens"))!, CultureInfo.InvariantCulture) < 1);
        Assert.Equal([HttpStatusCode.TooManyRequests], await StatusesAsync(client, 1));
    }

    [Fact]
    public async Task A_sweep_deletes_the_buckets_that_have_refilled_and_keeps_those_still_refilling()
    {
        await using var redis = await ConnectAsync();
        using var admin = fixture.CreateGatewayClient();
        var (refilledId, refilledKey) = await admin.CreateKeyAsync("sweep-refilled", ["infer"], requestsPerSecond: 1000, burst: 1);
        var (refillingId, refillingKey) = await admin.CreateKeyAsync("sweep-refilling", ["infer"], requestsPerSecond: 0.01, burst: 1);
        foreach (var key in new[] { refilledKey, refillingKey })
        {
            using var client = fixture.CreateGatewayClient(key);
            Assert.Equal([HttpStatusCode.OK], await StatusesAsync(client, 1));
        }

        var database = redis.GetDatabase();
        Assert.True(await database.KeyExistsAsync(RedisRateLimiter.BucketOf(refilledId)));
        await Task.Delay(100); // 1 ms refills a bucket of burst 1 at 1000 per second
        await using var gateway = await GatewayInstance.StartAsync(fixture);

        var deleted = await gateway.Services.GetRequiredService<RateLimitBucketSweeper>().SweepAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.True(deleted >= 1);
        Assert.False(await database.KeyExistsAsync(RedisRateLimiter.BucketOf(refilledId)));
        Assert.True(await database.KeyExistsAsync(RedisRateLimiter.BucketOf(refillingId)));
        Assert.Null(await database.KeyTimeToLiveAsync(RedisRateLimiter.BucketOf(refillingId)));
    }

    private async Task<ConnectionMultiplexer> ConnectAsync() =>
        await ConnectionMultiplexer.ConnectAsync(await fixture.App.GetConnectionStringAsync("cache") + ",allowAdmin=true").WaitAsync(Timeout);

    private static async Task<long> StatAsync(IServer server, string section, string field) =>
        long.Parse((await server.InfoAsync(section)).SelectMany(group => group).Single(pair => pair.Key == field).Value, CultureInfo.InvariantCulture);

    private static async Task<HttpStatusCode[]> StatusesAsync(HttpClient client, int requests)
    {
        var statuses = new HttpStatusCode[requests];
        for (var i = 0; i < requests; i++)
        {
            using var response = await client.GetAsync(Metadata).WaitAsync(Timeout);
            statuses[i] = response.StatusCode;
        }

        return statuses;
    }
}
