using System.Diagnostics.CodeAnalysis;

namespace AiFactory.Gateway.Authentication;

/// <summary>A key as last read from the store: <see cref="Key"/> is null for an id the store does not have.</summary>
/// <remarks><see cref="StaleUntil"/>: how long it may still be used while the store cannot be read (stale-if-error).</remarks>
public sealed record CachedKey(ApiKey? Key, byte[]? Hash, DateTimeOffset Expires, DateTimeOffset StaleUntil);

/// <summary>
/// What a gateway remembers of the keys it looked up, so that a request costs no store round trip: the store's keys
/// and the ids it does not have (negative entries), each in its own bounded LRU
/// (<see cref="ApiKeyOptions.CacheCapacity"/>, <see cref="ApiKeyOptions.UnknownKeyCacheCapacity"/>).
/// </summary>
/// <remarks>
/// Two maps, so that a flood of made-up ids only ever pushes out other made-up ids: the real keys stay cached and
/// their requests stay as fast as before. Entries outlive their expiry until pushed out; the validator decides when
/// one is too old to trust.
/// </remarks>
public sealed class ApiKeyCache(ApiKeyOptions options)
{
    private readonly BoundedLru<string, CachedKey> _known = new(options.CacheCapacity);
    private readonly BoundedLru<string, CachedKey> _unknown = new(options.UnknownKeyCacheCapacity);

    public bool TryGetValue(string id, [NotNullWhen(true)] out CachedKey? entry) =>
        _known.TryGetValue(id, out entry) || _unknown.TryGetValue(id, out entry);

    public void Set(string id, CachedKey entry)
    {
        var (into, other) = entry.Key is null ? (_unknown, _known) : (_known, _unknown);
        other.Remove(id);
        into.Set(id, entry);
    }

    public void Remove(string id)
    {
        _known.Remove(id);
        _unknown.Remove(id);
    }
}
