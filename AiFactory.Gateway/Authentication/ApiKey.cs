namespace AiFactory.Gateway.Authentication;

/// <summary>What the gateway knows about an API key; never its plaintext.</summary>
public sealed record ApiKey(
    string Id,
    string Name,
    string[] Scopes,
    string[]? Models,
    double? RequestsPerSecond,
    int? Burst,
    int? MaxConcurrency,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;

    public bool HasScope(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);

    /// <summary>True when the key has no allow-list or <paramref name="model"/> is on it.</summary>
    public bool AllowsModel(string model) => Models is null || Models.Contains(model, StringComparer.Ordinal);
}

/// <summary>The scopes a key can carry; each is also the name of the authorization policy that requires it.</summary>
public static class ApiKeyScopes
{
    /// <summary>What describes the models without running them: metadata, readiness, statistics, the repository index.</summary>
    public const string Read = "read";

    /// <summary>Running the models (OIP <c>infer</c>, gRPC <c>ModelInfer</c>), and whatever <see cref="Read"/> allows.</summary>
    public const string Infer = "infer";

    /// <summary>The admin API and loading or unloading models.</summary>
    public const string Admin = "admin";

    public static readonly string[] All = [Read, Infer, Admin];

    /// <summary>The scopes that grant what <paramref name="scope"/> allows: a key that may infer may also read.</summary>
    public static string[] Granting(string scope) => scope == Read ? [Read, Infer] : [scope];
}
