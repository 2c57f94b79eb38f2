using System.Diagnostics;
using System.Net;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>Per-key rate and concurrency limits, enforced across gateway replicas through Redis.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RateLimitTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string Metadata = $"/v2/models/{SampleModels.TextDirection}";

    [Fact]
    public async Task A_client_at_twice_the_rate_across_two_replicas_gets_about_half_refused_and_never_more_than_the_burst_through()
    {
        const double rate = 10;
        const int burst = 5;
        const int sent = 80; // 4 s at 20 requests per second, alternating between the replicas
        var (allowed, refused, elapsed) = await SendAtTwiceTheRateAsync("rate", rate, burst, sent);
        // Never more than the burst above the rate over the whole run (+1: a token refilled while the last request flew).
        Assert.True(allowed <= rate * elapsed + burst + 1, $"{allowed} allowed in {elapsed:F2} s at {rate}/s with burst {burst}");
        // About half refused: at 2× the rate, (sent − rate·t − burst) / sent ≈ 44 %; tolerance ±15 points.
        var refusedShare = (double)refused.Count / sent;
        Assert.InRange(refusedShare, 0.29, 0.59);
        foreach (var response in refused)
        {
            Assert.True(int.Parse(response.Headers.RetryAfter!.ToString()) >= 1);
            Assert.StartsWith("the API key's rate limit of 10 requests per second (burst 5) is exceeded",
                OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        }
    }

    [Fact]
    public async Task Two_replicas_taking_leases_of_a_fast_keys_tokens_admit_at_most_one_lease_period_of_its_rate_above_its_limit()
    {
        // 100/s × the 50 ms lease period (RateLimitOptions' default, which both replicas run): leases of 5 tokens, so
        // each replica asks Redis once per 5 requests, and together they may admit 5 (rate × lease period) more.
        const double rate = 100;
        const int burst = 10;
        const double leasePeriod = 0.05;
        const int sent = 600; // 3 s at 200 requests per second, alternating between the replicas
        var (allowed, refused, elapsed) = await SendAtTwiceTheRateAsync("rate-leases", rate, burst, sent);
        // The documented bound (LeasedRateLimiter): rate × (t + lease period) + burst (+1: a token refilled while the last request flew).
        Assert.True(allowed <= rate * (elapsed + leasePeriod) + burst + 1, $"{allowed} allowed in {elapsed:F2} s at {rate}/s with burst {burst}");
        // And leases lose nothing worth a client's notice: at 2× the rate, (sent − rate·t − burst) / sent ≈ 48 % refused; tolerance ±15 points.
        Assert.InRange((double)refused.Count / sent, 0.33, 0.63);
        Assert.StartsWith("the API key's rate limit of 100 requests per second (burst 10) is exceeded",
            OipRequests.ErrorOf(await refused[0].Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task Requests_past_the_keys_concurrency_limit_are_refused_with_429()
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync("concurrency", ["infer"], maxConcurrency: 1);
        using var client = fixture.CreateGatewayClient(key);
        // A 640×640 detection takes long enough on CPU that eight of them overlap.
        var image = SampleModels.RandomImage(seed: 11, 1, 3, 640, 640);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            client.PostAsync($"/v2/models/{SampleModels.TextDetection}/infer", OipRequests.BinaryFp32("x", [1, 3, 640, 640], image)).WaitAsync(Timeout)));

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.Equal("the API key's concurrency limit of 1 requests in flight is reached",
            OipRequests.ErrorOf(await refused[0].Content.ReadAsStringAsync()).GetString());
    }

    /// <summary>
    /// Sends <paramref name="sent"/> requests of a new key at twice its <paramref name="rate"/>, alternating between
    /// this gateway and a second replica on the same Redis; the allowed count, the refusals, and how long sending took.
    /// </summary>
    private async Task<(int Allowed, List<HttpResponseMessage> Refused, double Elapsed)> SendAtTwiceTheRateAsync(
        string name, double rate, int burst, int sent)
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync(name, ["infer"], requestsPerSecond: rate, burst: burst);
        await using var other = await GatewayInstance.StartAsync(fixture);
        using var first = fixture.CreateGatewayClient(key);
        using var second = other.CreateClient(key);

        var clock = Stopwatch.StartNew();
        var requests = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < sent; i++)
        {
            var due = TimeSpan.FromMilliseconds(i * 1000 / (2 * rate));
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            requests.Add((i % 2 == 0 ? first : second).GetAsync(Metadata).WaitAsync(Timeout));
        }

        var responses = await Task.WhenAll(requests);
        var elapsed = clock.Elapsed.TotalSeconds;
        var allowed = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(sent, allowed + refused.Count);
        return (allowed, refused, elapsed);
    }
}
