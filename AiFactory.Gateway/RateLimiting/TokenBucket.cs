namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// A token bucket in this process: it holds up to <see cref="Burst"/> tokens, refills at <see cref="RatePerSecond"/>
/// and each request takes one, so at most <c>rate × t + burst</c> requests pass in any period t. Time comes from a
/// <see cref="TimeProvider"/> (tests use a fake one). Thread-safe.
/// </summary>
/// <remarks>
/// The same arithmetic as <see cref="RedisRateLimiter"/>'s script, without a round trip: the rate limiter's fallback
/// while Redis is unreachable (<see cref="LocalRateLimiter"/>) and the throttle on failed authentications use it.
/// </remarks>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _refilledAt;

    public TokenBucket(double ratePerSecond, double burst, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        RatePerSecond = ratePerSecond;
        Burst = burst;
        _time = time;
        _tokens = burst;
        _refilledAt = time.GetTimestamp();
    }

    public double RatePerSecond { get; }

    public double Burst { get; }

    /// <summary>Takes a token when there is one; otherwise says how long until there will be.</summary>
    public RateLimitDecision TryTake()
    {
        lock (_lock)
        {
            Refill();
            if (_tokens >= 1)
            {
                _tokens--;
                return new RateLimitDecision(true, TimeSpan.Zero);
            }

            return new RateLimitDecision(false, UntilNextToken());
        }
    }

    /// <summary>Gives back a token taken for something that turned out not to count (never above the burst).</summary>
    public void Return()
    {
        lock (_lock)
        {
            Refill();
            _tokens = Math.Min(Burst, _tokens + 1);
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(Burst, _tokens + _time.GetElapsedTime(_refilledAt, now).TotalSeconds * RatePerSecond);
        _refilledAt = now;
    }

    private TimeSpan UntilNextToken() => TimeSpan.FromSeconds((1 - _tokens) / RatePerSecond);
}
