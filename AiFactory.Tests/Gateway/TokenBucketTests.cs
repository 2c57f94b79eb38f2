extern alias gateway;

using Microsoft.Extensions.Time.Testing;
using TokenBucket = gateway::AiFactory.Gateway.RateLimiting.TokenBucket;

namespace AiFactory.Tests.Gateway;

/// <summary>The local token bucket (rate-limit fallback, failed-authentication throttle), on a fake clock.</summary>
public sealed class TokenBucketTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_full_bucket_lets_the_burst_through_then_one_request_per_refilled_token()
    {
        var bucket = new TokenBucket(ratePerSecond: 2, burst: 3, _time);

        Assert.All(Enumerable.Range(0, 3), _ => Assert.True(bucket.TryTake().Allowed));
        var refused = bucket.TryTake();
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMilliseconds(500), refused.RetryAfter);

        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(bucket.TryTake().Allowed);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(bucket.TryTake().Allowed);
        Assert.False(bucket.TryTake().Allowed);
    }

    [Fact]
    public void An_idle_bucket_refills_to_its_burst_and_no_further()
    {
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 2, _time);
        bucket.TryTake();
        bucket.TryTake();

        _time.Advance(TimeSpan.FromHours(1));

        Assert.True(bucket.TryTake().Allowed);
        Assert.True(bucket.TryTake().Allowed);
        Assert.False(bucket.TryTake().Allowed);
    }

    [Fact]
    public void A_returned_token_can_be_taken_again_but_never_lifts_the_bucket_above_its_burst()
    {
        var bucket = new TokenBucket(ratePerSecond: 0.001, burst: 1, _time);
        bucket.Return(); // already full: stays at 1
        Assert.True(bucket.TryTake().Allowed);
        Assert.False(bucket.TryTake().Allowed);

        bucket.Return();

        Assert.True(bucket.TryTake().Allowed);
        Assert.False(bucket.TryTake().Allowed);
    }
}
