using System.Security.Cryptography;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// The key that exists in configuration only, not in the key store: the bootstrap admin key (every scope), so the
/// first real keys can be created. <see cref="ConfiguredKeyRules"/> refuses a weak one at start. (The operators' console
/// holds no key of its own: it calls with the signed-in operator's.)
/// </summary>
public sealed class ConfiguredKeys
{
    public const string BootstrapKeyId = "bootstrap";

    private readonly (ApiKey Key, byte[] Hash)[] _keys;

    public ConfiguredKeys(ApiKeyOptions options) =>
        _keys = [.. Configured(options.BootstrapAdminKey, BootstrapKeyId, "bootstrap admin key", ApiKeyScopes.All)];

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
