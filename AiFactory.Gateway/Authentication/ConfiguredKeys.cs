using System.Security.Cryptography;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// The keys that exist in configuration only, not in the key store: the bootstrap admin key (every scope), so the
/// first real keys can be created, and the operators' dashboard's key (<c>read</c> only). <see cref="ConfiguredKeyRules"/>
/// refuses weak ones at start.
/// </summary>
public sealed class ConfiguredKeys
{
    public const string BootstrapKeyId = "bootstrap";
    public const string DashboardKeyId = "dashboard";

    private readonly (ApiKey Key, byte[] Hash)[] _keys;

    public ConfiguredKeys(ApiKeyOptions options) =>
        _keys = [.. Configured(options.BootstrapAdminKey, BootstrapKeyId, "bootstrap admin key", ApiKeyScopes.All),
                 .. Configured(options.DashboardKey, DashboardKeyId, "dashboard key", [ApiKeyScopes.Read])];

    /// <summary>The configured key <paramref name="plaintext"/> is; null when it is none of them.</summary>
    /// <remarks>Every key is compared, each in constant time, so the answer's timing tells nothing about any of them.</remarks>
    public ApiKey? Find(string plaintext)
    {
        var hash = ApiKeyFormat.Hash(plaintext);
        ApiKey? found = null;
        foreach (var (key, stored) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, stored))
            {
                found = key;
            }
        }

        return found;
    }

    private static IEnumerable<(ApiKey Key, byte[] Hash)> Configured(string? plaintext, string id, string name, string[] scopes) =>
        string.IsNullOrEmpty(plaintext)
            ? []
            : [(new ApiKey(id, name, scopes, null, null, null, null, DateTimeOffset.MinValue, null), ApiKeyFormat.Hash(plaintext))];
}
