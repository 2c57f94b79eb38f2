extern alias gateway;

using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ITokenSource = gateway::AiFactory.Gateway.RateLimiting.ITokenSource;
using LeasedRateLimiter = gateway::AiFactory.Gateway.RateLimiting.LeasedRateLimiter;
using RateLimitOptions = gateway::AiFactory.Gateway.RateLimiting.RateLimitOptions;
using TokenGrant = gateway::AiFactory.Gateway.RateLimiting.TokenGrant;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// Rate limits from leases of a key's shared bucket, on a fake clock: one take per lease instead of one per request,
/// unused tokens given back, and the over-admission bound between replicas that RateLimitOptions documents.
/// </summary>
public sealed class LeasedRateLimiterTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RateLimitOptions _options = new() { LeasePeriod = TimeSpan.FromMilliseconds(50), MaxLeaseTokens = 64 };

    [Fact]
    public async Task A_lease_admits_its_tokens_without_asking_the_shared_bucket_again()
    {
        var shared = new SharedBucket(ratePerSecond: 1000, burst: 2000, _time);
        var limiter = Replica(shared);

        // 1000/s × 50 ms: leases of 50 tokens.
        for (var i = 0; i < 50; i++)
        {
            Assert.True((await limiter.TryAcquireAsync("key", 1000, 2000)).Allowed);
        }

        Assert.Equal(1, shared.Takes);
        Assert.True((await limiter.TryAcquireAsync("key", 1000, 2000)).Allowed);
        Assert.Equal(2, shared.Takes);
    }

    [Fact]
    public async Task A_key_whose_rate_gives_leases_of_one_token_asks_the_shared_bucket_for_every_request_and_is_refused_past_its_burst()
    {
        var shared = new SharedBucket(ratePerSecond: 10, burst: 3, _time);
        var limiter = Replica(shared);

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await limiter.TryAcquireAsync("key", 10, 3)).Allowed);
        }

        var refused = await limiter.TryAcquireAsync("key", 10, 3);

        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMilliseconds(100), refused.RetryAfter);
        Assert.Equal(4, shared.Takes);
    }

    [Fact]
    public async Task An_expired_lease_gives_its_unused_tokens_back_with_the_next_take()
    {
        var shared = new SharedBucket(ratePerSecond: 1000, burst: 2000, _time);
        var limiter = Replica(shared);
        await limiter.TryAcquireAsync("key", 1000, 2000);

        _time.Advance(TimeSpan.FromMilliseconds(50));
        await limiter.TryAcquireAsync("key", 1000, 2000);

        Assert.Equal(2, shared.Takes);
        Assert.Equal(49, shared.LastUnused);
    }

    [Fact]
    public async Task Requests_that_find_the_lease_spent_share_one_take_and_are_refused_together_when_the_bucket_is_empty()
    {
        var source = new PendingSource();
        var limiter = Replica(source);

        var waiting = Enumerable.Range(0, 8).Select(_ => limiter.TryAcquireAsync("key", 1000, 2000).AsTask()).ToList();
        Assert.Equal(1, source.Takes);

        source.Complete(new TokenGrant(5, TimeSpan.Zero));
        // Five of the eight got a token; the other three started the next take, and share it.
        Assert.Equal(2, source.Takes);
        source.Complete(new TokenGrant(0, TimeSpan.FromMilliseconds(300)));

        var decisions = await Task.WhenAll(waiting);
        Assert.Equal(5, decisions.Count(d => d.Allowed));
        Assert.All(decisions.Where(d => !d.Allowed), d => Assert.Equal(TimeSpan.FromMilliseconds(300), d.RetryAfter));
        Assert.Equal(2, source.Takes);
    }

    [Fact]
    public async Task A_take_that_fails_fails_its_requests_and_the_next_request_asks_again()
    {
        var source = new PendingSource();
        var limiter = Replica(source);
        var failing = limiter.TryAcquireAsync("key", 1000, 2000).AsTask();

        source.Fail(new InvalidOperationException("Redis is down"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        var next = limiter.TryAcquireAsync("key", 1000, 2000).AsTask();
        Assert.Equal(2, source.Takes);
        source.Complete(new TokenGrant(1, TimeSpan.Zero));
        Assert.True((await next).Allowed);
    }

    [Fact]
    public async Task Two_replicas_flooding_one_key_admit_at_most_the_rate_times_one_lease_period_more_than_the_shared_bucket_and_no_less_than_its_rate()
    {
        const double rate = 400;
        const int burst = 40;
        var shared = new SharedBucket(rate, burst, _time);
        var replicas = new[] { Replica(shared), Replica(shared) };
        var admittedAt = new List<TimeSpan>();

        // 4 s in 1 ms steps, each replica sending 1 request per ms (5× the rate together).
        var start = _time.GetUtcNow();
        for (var ms = 0; ms < 4000; ms++)
        {
            foreach (var replica in replicas)
            {
                if ((await replica.TryAcquireAsync("key", rate, burst)).Allowed)
                {
                    admittedAt.Add(_time.GetUtcNow() - start);
                }
            }

            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // Every window of t: at most rate × (t + lease period) + burst (RateLimitOptions.LeasePeriod's bound).
        foreach (var window in new[] { 0.01, 0.1, 0.5, 1, 4 })
        {
            var most = MostInAnyWindow(admittedAt, TimeSpan.FromSeconds(window));
            Assert.True(most <= rate * (window + _options.LeasePeriod.TotalSeconds) + burst,
                $"{most} admitted in {window} s at {rate}/s, burst {burst}, leases of {_options.LeasePeriod.TotalMilliseconds} ms");
        }

        // And nothing lost to leases: over the whole run, the shared bucket's rate and burst, less one lease per replica.
        var lease = LeasedRateLimiter.LeaseSize(rate, _options);
        Assert.True(admittedAt.Count >= rate * 4 + burst - 2 * lease, $"{admittedAt.Count} admitted in 4 s at {rate}/s, burst {burst}");
    }

    [Fact]
    public async Task Leases_of_keys_idle_past_the_sweep_interval_are_forgotten_and_a_key_in_use_keeps_its_lease()
    {
        var shared = new SharedBucket(ratePerSecond: 1000, burst: 2000, _time);
        var limiter = Replica(shared);
        // One-off keys (e.g. keys since revoked; the fake shares one bucket among them: 20 leases of 50), then one busy key.
        for (var i = 0; i < 20; i++)
        {
            Assert.True((await limiter.TryAcquireAsync($"one-off-{i}", 1000, 2000)).Allowed);
        }

        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.True((await limiter.TryAcquireAsync("busy", 1000, 2000)).Allowed);

        var pruned = limiter.PruneIdle(TimeSpan.FromMinutes(5));

        Assert.Equal((20, 1), (pruned, limiter.Count));
        var takes = shared.Takes;
        Assert.True((await limiter.TryAcquireAsync("busy", 1000, 2000)).Allowed);
        Assert.Equal(takes, shared.Takes);
        // A forgotten key that comes back simply takes a new lease.
        Assert.True((await limiter.TryAcquireAsync("one-off-0", 1000, 2000)).Allowed);
        Assert.Equal(takes + 1, shared.Takes);
    }

    private LeasedRateLimiter Replica(ITokenSource source) => new(source, _time, Options.Create(_options));

    private static int MostInAnyWindow(List<TimeSpan> times, TimeSpan window)
    {
        var (most, first) = (0, 0);
        for (var last = 0; last < times.Count; last++)
        {
            while (times[last] - times[first] >= window)
            {
                first++;
            }

            most = Math.Max(most, last - first + 1);
        }

        return most;
    }

    /// <summary>The arithmetic of RedisRateLimiter's script (refill by time, take back the unused, grant what there is), on the fake clock.</summary>
    private sealed class SharedBucket(double ratePerSecond, int burst, TimeProvider time) : ITokenSource
    {
        private double _tokens = burst;
        private long _at = time.GetTimestamp();

        public int Takes { get; private set; }

        public int LastUnused { get; private set; }

        public Task<TokenGrant> TakeAsync(string keyId, double requestsPerSecond, int burstOfKey, int wanted, int unused)
        {
            (Takes, LastUnused) = (Takes + 1, unused);
            var now = time.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + time.GetElapsedTime(_at, now).TotalSeconds * ratePerSecond + unused);
            _at = now;
            var granted = (int)Math.Min(wanted, Math.Floor(_tokens));
            _tokens -= granted;
            return Task.FromResult(granted > 0
                ? new TokenGrant(granted, TimeSpan.Zero)
                : new TokenGrant(0, TimeSpan.FromMilliseconds(Math.Ceiling((1 - _tokens) * 1000 / ratePerSecond))));
        }
    }

    /// <summary>A shared bucket that answers when the test says, to see which requests wait on which take.</summary>
    private sealed class PendingSource : ITokenSource
    {
        private TaskCompletionSource<TokenGrant> _pending = new();

        public int Takes { get; private set; }

        public Task<TokenGrant> TakeAsync(string keyId, double requestsPerSecond, int burst, int wanted, int unused)
        {
            Takes++;
            _pending = new TaskCompletionSource<TokenGrant>();
            return _pending.Task;
        }

        public void Complete(TokenGrant grant) => _pending.SetResult(grant);

        public void Fail(Exception failure) => _pending.SetException(failure);
    }
}
