using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>The outcome of checking a presented key.</summary>
public enum KeyCheck { Valid, Unknown, Revoked, StoreUnavailable }

/// <summary>
/// Checks presented keys against PostgreSQL, remembering each key it looked up for
/// <see cref="ApiKeyOptions.CacheDuration"/> so a request costs no database round trip, and for
/// <see cref="ApiKeyOptions.StaleIfError"/> more while the store cannot be read.
/// <see cref="RevocationWatcher"/> forgets revoked keys as soon as any gateway revokes them.
/// </summary>
public sealed class ApiKeyValidator
{
    public const string BootstrapKeyId = "bootstrap";

    private static readonly TimeSpan StaleLookupTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StaleRetryInterval = TimeSpan.FromSeconds(5);

    private readonly ApiKeyStore _store;
    private readonly IOptions<ApiKeyOptions> _options;
    private readonly ILogger<ApiKeyValidator> _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _entries = new();
    private readonly (ApiKey Key, byte[] Hash)? _bootstrap;

    public ApiKeyValidator(ApiKeyStore store, IOptions<ApiKeyOptions> options, ILogger<ApiKeyValidator> logger, TimeProvider time)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _time = time;
        if (!string.IsNullOrEmpty(options.Value.BootstrapAdminKey))
        {
            _bootstrap = (new ApiKey(BootstrapKeyId, "bootstrap admin key", ApiKeyScopes.All, null, null, null, null, DateTimeOffset.MinValue, null),
                ApiKeyFormat.Hash(options.Value.BootstrapAdminKey));
        }
    }

    /// <summary>Checks <paramref name="plaintext"/>; the key is returned when the check is <see cref="KeyCheck.Valid"/>.</summary>
    public async ValueTask<(KeyCheck Check, ApiKey? Key)> CheckAsync(string plaintext, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryGetId(plaintext, out var id))
        {
            return _bootstrap is { } bootstrap && ApiKeyFormat.Matches(plaintext, bootstrap.Hash)
                ? (KeyCheck.Valid, bootstrap.Key)
                : (KeyCheck.Unknown, null);
        }

        var now = _time.GetUtcNow();
        if (!_entries.TryGetValue(id, out var entry) || entry.Expires <= now)
        {
            // With a stale entry to fall back on, the request waits for the store only briefly: an unreachable
            // database often does not refuse connections but never answers, and Npgsql's connect timeout is long
            // and does not heed cancellation. The abandoned lookup ends on its own.
            var stale = entry is not null && now < entry.StaleUntil;
            try
            {
                var lookup = _store.FindAsync(id, cancellationToken);
                var found = await (stale ? lookup.WaitAsync(StaleLookupTimeout, cancellationToken) : lookup);
                var expires = now + _options.Value.CacheDuration;
                entry = new Entry(found?.Key, found?.Hash, expires, expires + _options.Value.StaleIfError);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                if (!stale)
                {
                    _logger.LogWarning(e, "The API key store is unavailable; key {KeyId} cannot be checked", id);
                    return (KeyCheck.StoreUnavailable, null);
                }

                // Stale-if-error: trusted as last read until StaleUntil, asking the store again now and then.
                _logger.LogDebug("The API key store is unavailable ({Reason}); key {KeyId} is trusted as last read until {StaleUntil:o}", e.Message, id, entry!.StaleUntil);
                entry = entry with { Expires = _time.GetUtcNow() + StaleRetryInterval };
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
    /// <remarks><see cref="StaleUntil"/>: how long it may be used while the store cannot be read.</remarks>
    private sealed record Entry(ApiKey? Key, byte[]? Hash, DateTimeOffset Expires, DateTimeOffset StaleUntil);
}
