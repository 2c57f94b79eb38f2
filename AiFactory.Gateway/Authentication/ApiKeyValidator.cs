using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>The outcome of checking a presented key.</summary>
public enum KeyCheck { Valid, Unknown, Revoked, StoreUnavailable }

/// <summary>
/// Checks presented keys against PostgreSQL, remembering each key it looked up for
/// <see cref="ApiKeyOptions.CacheDuration"/> so a request costs no database round trip.
/// <see cref="RevocationWatcher"/> forgets revoked keys as soon as any gateway revokes them.
/// </summary>
public sealed class ApiKeyValidator
{
    private readonly ApiKeyStore _store;
    private readonly IOptions<ApiKeyOptions> _options;
    private readonly ILogger<ApiKeyValidator> _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _entries = new();
    private readonly ConfiguredKeys _configured;

    public ApiKeyValidator(ApiKeyStore store, IOptions<ApiKeyOptions> options, ILogger<ApiKeyValidator> logger, TimeProvider time)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _time = time;
        _configured = new ConfiguredKeys(options.Value);
    }

    /// <summary>Checks <paramref name="plaintext"/>; the key is returned when the check is <see cref="KeyCheck.Valid"/>.</summary>
    public async ValueTask<(KeyCheck Check, ApiKey? Key)> CheckAsync(string plaintext, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryGetId(plaintext, out var id))
        {
            return _configured.Find(plaintext) is { } configured ? (KeyCheck.Valid, configured) : (KeyCheck.Unknown, null);
        }

        var now = _time.GetUtcNow();
        if (!_entries.TryGetValue(id, out var entry) || entry.Expires <= now)
        {
            try
            {
                var found = await _store.FindAsync(id, cancellationToken);
                entry = new Entry(found?.Key, found?.Hash, now + _options.Value.CacheDuration);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                _logger.LogWarning(e, "The API key store is unavailable; key {KeyId} cannot be checked", id);
                return (KeyCheck.StoreUnavailable, null);
            }

            _entries[id] = entry;
        }

        if (entry.Key is null || !ApiKeyFormat.Matches(plaintext, entry.Hash!))
        {
            return (KeyCheck.Unknown, null);
        }

        return entry.Key.IsRevoked ? (KeyCheck.Revoked, null) : (KeyCheck.Valid, entry.Key);
    }

    /// <summary>Forgets what this gateway remembers of a key, so its next use reads the store again.</summary>
    public void Forget(string id) => _entries.TryRemove(id, out _);

    /// <summary>A key as last read from the store: <see cref="Key"/> is null for an id the store does not have.</summary>
    private sealed record Entry(ApiKey? Key, byte[]? Hash, DateTimeOffset Expires);
}
