using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Metering;

namespace AiFactory.Gateway.Apis;

/// <summary>Body of <c>POST /api/admin/keys</c>. Only <see cref="Name"/> and <see cref="Scopes"/> are required.</summary>
public sealed record CreateKeyRequest(string? Name, string[]? Scopes, string[]? Models, double? RequestsPerSecond, int? Burst, int? MaxConcurrency);

/// <summary>An API key as the admin API shows it: everything but the secret.</summary>
public sealed record KeyView(
    string Id, string Name, string[] Scopes, string[]? Models, double? RequestsPerSecond, int? Burst, int? MaxConcurrency,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public static KeyView Of(ApiKey key) => new(key.Id, key.Name, key.Scopes, key.Models, key.RequestsPerSecond, key.Burst,
        key.MaxConcurrency, key.CreatedAt, key.RevokedAt);
}

/// <summary>A new key with its plaintext, which is shown this once and stored nowhere.</summary>
public sealed record CreatedKey(string Key, KeyView Details);

public sealed record UsageReport(DateTime From, DateTime To, long TotalRequests, IReadOnlyList<UsageStore.UsageRow> Rows);

/// <summary>The protocol's error shape, <c>{"error": "..."}</c>.</summary>
public sealed record ErrorBody(string Error);
