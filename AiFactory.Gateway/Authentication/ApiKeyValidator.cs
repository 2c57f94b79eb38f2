using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>The outcome of checking a presented key.</summary>
public enum KeyCheck { Valid, Unknown, Revoked, StoreUnavailable }

/// <summary>
/// Checks presented keys against PostgreSQL, remembering each id it looked up, found or not, for
/// <see cref="ApiKeyOptions.CacheDuration"/> (in a bounded <see cref="ApiKeyCache"/>) so a request costs no
/// database round trip, and for <see cref="ApiKeyOptions.StaleIfError"/> more while the store cannot be read.
/// <see cref="RevocationWatcher"/> forgets revoked keys as soon as any gateway revokes them.
/// Every lookup is counted in <c>aifactory.gateway.apikey.lookups</c>.
/// </summary>
public sealed class ApiKeyValidator
{
    private static readonly TimeSpan StaleLookupTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StaleRetryInterval = TimeSpan.FromSeconds(5);

    private readonly ApiKeyStore _store;
    private readonly IOptions<ApiKeyOptions> _options;
    private readonly ILogger<ApiKeyValidator> _logger;
    private readonly TimeProvider _time;
    private readonly GatewayMetrics _metrics;
    private readonly ApiKeyCache _entries;
    private readonly ConfiguredKeys _configured;

    public ApiKeyValidator(ApiKeyStore store, IOptions<ApiKeyOptions> options, ILogger<ApiKeyValidator> logger, TimeProvider time, GatewayMetrics metrics)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _time = time;
        _metrics = metrics;
        _entries = new ApiKeyCache(options.Value);
        _configured = new ConfiguredKeys(options.Value);
    }

    /// <summary>Checks <paramref name="plaintext"/>; the key is returned when the check is <see cref="KeyCheck.Valid"/>.</summary>
    public async ValueTask<(KeyCheck Check, ApiKey? Key)> CheckAsync(string plaintext, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryGetId(plaintext, out var id))
        {
            return CheckConfigured(plaintext);
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
                _metrics.KeyLookup(found is null ? "unknown" : "found");
                var expires = now + _options.Value.CacheDuration;
                entry = new CachedKey(found?.Key, found?.Hash, expires, expires + _options.Value.StaleIfError);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                _metrics.KeyLookup("error");
                if (!stale)
                {
                    _logger.LogWarning(e, "The API key store is unavailable; key {KeyId} cannot be checked", id);
                    return (KeyCheck.StoreUnavailable, null);
                }

                // Stale-if-error: trusted as last read until StaleUntil, asking the store again now and then.
                _logger.LogDebug("The API key store is unavailable ({Reason}); key {KeyId} is trusted as last read until {StaleUntil:o}", e.Message, id, entry!.StaleUntil);
                entry = entry with { Expires = _time.GetUtcNow() + StaleRetryInterval };
            }

            _entries.Set(id, entry);
        }

        return Check(plaintext, entry);
    }

    /// <summary>
    /// The key when it can be accepted without asking the store: the bootstrap key, or a key this gateway remembers
    /// as valid. Null when that would take a store lookup or the key is not valid.
    /// </summary>
    public ApiKey? ValidWithoutStore(string plaintext)
    {
        if (!ApiKeyFormat.TryGetId(plaintext, out var id))
        {
            return _configured.Find(plaintext);
        }

        return _entries.TryGetValue(id, out var entry) && entry.Expires > _time.GetUtcNow() ? Check(plaintext, entry).Key : null;
    }

    /// <summary>
    /// Whether <paramref name="plaintext"/> is a key this gateway last read as valid, even if that reading has
    /// expired: its caller holds a real key, so reading it again is no guess at one.
    /// </summary>
    public bool WasValid(string plaintext) =>
        ApiKeyFormat.TryGetId(plaintext, out var id) && _entries.TryGetValue(id, out var entry) && Check(plaintext, entry).Check == KeyCheck.Valid;

    /// <summary>Forgets what this gateway remembers of a key, so its next use reads the store again.</summary>
    public void Forget(string id) => _entries.Remove(id);

    private (KeyCheck Check, ApiKey? Key) CheckConfigured(string plaintext) =>
        _configured.Find(plaintext) is { } configured ? (KeyCheck.Valid, configured) : (KeyCheck.Unknown, null);

    private static (KeyCheck Check, ApiKey? Key) Check(string plaintext, CachedKey entry)
    {
        if (entry.Key is null || !ApiKeyFormat.Matches(plaintext, entry.Hash!))
        {
            return (KeyCheck.Unknown, null);
        }

        return entry.Key.IsRevoked ? (KeyCheck.Revoked, null) : (KeyCheck.Valid, entry.Key);
    }
}
