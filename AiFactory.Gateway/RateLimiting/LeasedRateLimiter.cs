using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// Each key's rate limit, shared by every gateway replica, without a round trip per request: a replica takes a few
/// tokens at once from the key's shared bucket (a lease of <c>rate × LeasePeriod</c> tokens, at least 1, at most
/// <see cref="RateLimitOptions.MaxLeaseTokens"/>) and admits requests from them locally. A lease lasts
/// <see cref="RateLimitOptions.LeasePeriod"/>; what is left of it then goes back to the shared bucket with the next
/// take, so a replica that sends little does not starve the others. Requests that find the lease empty share one take.
/// </summary>
/// <remarks>
/// The over-admission bound between replicas: a request is admitted with a token taken at most one lease period
/// before, so in any period t the replicas together admit at most <c>rate × (t + LeasePeriod) + burst</c>, and at
/// most <c>replicas × lease</c> more than the shared bucket alone (<c>rate × t + burst</c>) would: the smaller of
/// <c>rate × LeasePeriod</c> and <c>replicas × MaxLeaseTokens</c>. A key whose rate gives leases of one token
/// (rate × LeasePeriod &lt; 2, e.g. 10/s) is limited exactly as by one take per request.
/// </remarks>
public sealed class LeasedRateLimiter(ITokenSource source, TimeProvider time, IOptions<RateLimitOptions> options)
{
    private readonly ConcurrentDictionary<string, Lease> _leases = new();

    /// <summary>How many tokens one take asks for at a key's rate.</summary>
    public static int LeaseSize(double requestsPerSecond, RateLimitOptions settings) =>
        (int)Math.Clamp(Math.Floor(requestsPerSecond * settings.LeasePeriod.TotalSeconds), 1, settings.MaxLeaseTokens);

    /// <summary>Admits one request of <paramref name="keyId"/>. Throws when the shared bucket cannot be asked and the lease is spent.</summary>
    public async ValueTask<RateLimitDecision> TryAcquireAsync(string keyId, double requestsPerSecond, int burst)
    {
        var lease = _leases.GetOrAdd(keyId, static _ => new Lease());
        while (true)
        {
            Task<TokenGrant> take;
            lock (lease.Lock)
            {
                var expired = time.GetTimestamp() >= lease.ExpiresAt;
                if (lease.Tokens > 0 && !expired)
                {
                    lease.Tokens--;
                    return new RateLimitDecision(true, TimeSpan.Zero);
                }

                // A completed take has already filled the lease: a request that finds it spent starts the next one.
                if (lease.Take is not { IsCompleted: false })
                {
                    var unused = lease.Tokens;
                    lease.Tokens = 0;
                    lease.Take = TakeAsync(lease, keyId, requestsPerSecond, burst, unused);
                }

                take = lease.Take;
            }

            var grant = await take;
            if (grant.Tokens == 0)
            {
                return new RateLimitDecision(false, grant.RetryAfter);
            }
        }
    }

    /// <summary>
    /// Forgets the leases of keys idle for <paramref name="idle"/> past their lease's end, so the table stays bounded by
    /// the keys in use (revoked and one-off keys included). An expired lease admits nothing, so forgetting it only
    /// loses the hand-back of its unused tokens, which the shared bucket has long refilled. Returns how many went.
    /// </summary>
    public int PruneIdle(TimeSpan idle)
    {
        var cutoff = time.GetTimestamp() - (long)(idle.TotalSeconds * time.TimestampFrequency);
        var pruned = 0;
        foreach (var entry in _leases)
        {
            var lease = entry.Value;
            lock (lease.Lock)
            {
                // A take in flight belongs to requests waiting on it: that lease is in use.
                if (lease.ExpiresAt > cutoff || lease.Take is { IsCompleted: false })
                {
                    continue;
                }
            }

            // Removes this very lease only; a request that still holds it is served from it once more, then finds it
            // spent and starts a new one in the table.
            if (_leases.TryRemove(entry))
            {
                pruned++;
            }
        }

        return pruned;
    }

    /// <summary>Keys with a lease on this replica.</summary>
    public int Count => _leases.Count;

    private async Task<TokenGrant> TakeAsync(Lease lease, string keyId, double requestsPerSecond, int burst, int unused)
    {
        var settings = options.Value;
        var grant = await source.TakeAsync(keyId, requestsPerSecond, burst, LeaseSize(requestsPerSecond, settings), unused);
        lock (lease.Lock)
        {
            lease.Tokens = grant.Tokens;
            lease.ExpiresAt = time.GetTimestamp() + (long)(settings.LeasePeriod.TotalSeconds * time.TimestampFrequency);
        }

        return grant;
    }

    private sealed class Lease
    {
        public readonly Lock Lock = new();
        public int Tokens;
        public long ExpiresAt;
        public Task<TokenGrant>? Take;
    }
}
