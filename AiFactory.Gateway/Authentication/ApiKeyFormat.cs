using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// API keys look like <c>afk_&lt;id&gt;_&lt;secret&gt;</c>: a public id (16 hex digits) the gateway looks the key up
/// by, and 256 random bits of secret. Only the SHA-256 of the whole key is stored.
/// </summary>
/// <remarks>
/// A fast hash is right here, unlike for passwords: the secret is 256 bits from a CSPRNG, so there is nothing to
/// guess, and a slow KDF would only make every uncached request slower.
/// </remarks>
public static class ApiKeyFormat
{
    private const string Prefix = "afk_";
    private const int IdLength = 16;

    public static (string Id, string Plaintext, byte[] Hash) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2));
        var plaintext = $"{Prefix}{id}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}";
        return (id, plaintext, Hash(plaintext));
    }

    public static byte[] Hash(string plaintext) => SHA256.HashData(Encoding.UTF8.GetBytes(plaintext));

    /// <summary>The id part of a well-formed key; false for anything else.</summary>
    public static bool TryGetId(string plaintext, [NotNullWhen(true)] out string? id)
    {
        id = null;
        if (plaintext.Length <= Prefix.Length + IdLength + 1
            || !plaintext.StartsWith(Prefix, StringComparison.Ordinal)
            || plaintext[Prefix.Length + IdLength] != '_')
        {
            return false;
        }

        var candidate = plaintext.AsSpan(Prefix.Length, IdLength);
        if (!IsLowerHex(candidate))
        {
            return false;
        }

        id = candidate.ToString();
        return true;
    }

    /// <summary>Compares hashes in constant time, so response timing reveals nothing about a stored hash.</summary>
    public static bool Matches(string plaintext, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(Hash(plaintext), storedHash);

    private static bool IsLowerHex(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }
}
