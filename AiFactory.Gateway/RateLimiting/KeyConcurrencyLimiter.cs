using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace AiFactory.Gateway.RateLimiting;

/// <summary>
/// Requests in flight per key on this gateway replica. Kept in memory: a concurrency slot must be given back even
/// when the request dies, which a shared counter cannot promise without leases.
/// </summary>
public sealed class KeyConcurrencyLimiter
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _inFlight = new();

    /// <summary>Takes a slot for <paramref name="keyId"/>; false when <paramref name="limit"/> are already taken.</summary>
    public bool TryEnter(string keyId, int limit)
    {
        var count = _inFlight.GetOrAdd(keyId, _ => new StrongBox<int>());
        if (Interlocked.Increment(ref count.Value) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref count.Value);
        return false;
    }

    public void Exit(string keyId) => Interlocked.Decrement(ref _inFlight[keyId].Value);
}
