using AiFactory.Gateway.Registry;
using Dapper;
using Npgsql;

namespace AiFactory.Gateway.Authentication;

/// <summary>API keys in PostgreSQL (table <c>api_keys</c>).</summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, name, scopes, models, requests_per_second AS RequestsPerSecond, burst, max_concurrency AS MaxConcurrency,
        created_at AS CreatedAt, revoked_at AS RevokedAt
        """;

    /// <summary>What a caller asks for when creating a key.</summary>
    public sealed record NewKey(string Name, string[] Scopes, string[]? Models, double? RequestsPerSecond, int? Burst, int? MaxConcurrency);

    /// <summary>
    /// Creates a key, audited as <c>key.create</c> by <paramref name="actorKeyId"/> in the same transaction; the returned
    /// plaintext exists nowhere else (the audit entry holds what the admin API shows of a key, never its secret).
    /// </summary>
    public async Task<(ApiKey Key, string Plaintext)> CreateAsync(NewKey request, string actorKeyId, CancellationToken cancellationToken)
    {
        var (id, plaintext, hash) = ApiKeyFormat.Generate();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var key = (await connection.QuerySingleAsync<ApiKeyRow>(new CommandDefinition($"""
            INSERT INTO api_keys (id, name, key_hash, scopes, models, requests_per_second, burst, max_concurrency)
            VALUES (@Id, @Name, @Hash, @Scopes, @Models, @RequestsPerSecond, @Burst, @MaxConcurrency)
            RETURNING {Columns}
            """, new { Id = id, request.Name, Hash = hash, request.Scopes, request.Models, request.RequestsPerSecond, request.Burst, request.MaxConcurrency },
            transaction, cancellationToken: cancellationToken))).ToApiKey();
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(actorKeyId, AuditLog.KeyCreate, After: Audited(key)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (key, plaintext);
    }

    /// <summary>The key with <paramref name="id"/> and its stored hash, revoked or not; null when there is none.</summary>
    public async Task<(ApiKey Key, byte[] Hash)?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(
            $"SELECT {Columns}, key_hash AS KeyHash FROM api_keys WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : (row.ToApiKey(), row.KeyHash!);
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(bool includeRevoked, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE @includeRevoked OR revoked_at IS NULL ORDER BY created_at",
            new { includeRevoked }, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToApiKey()).ToList();
    }

    /// <summary>
    /// Revokes the key, audited as <c>key.revoke</c> by <paramref name="actorKeyId"/> in the same transaction; null
    /// when there is no such key. Revoking twice keeps the first time, and only the first is audited.
    /// </summary>
    public async Task<ApiKey?> RevokeAsync(string id, string actorKeyId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var revokedBefore = await connection.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition(
            "SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken));
        if (revokedBefore is null)
        {
            return null;
        }

        var key = (await connection.QuerySingleAsync<ApiKeyRow>(new CommandDefinition($"""
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, clock_timestamp()) WHERE id = @id
            RETURNING {Columns}
            """, new { id }, transaction, cancellationToken: cancellationToken))).ToApiKey();
        if (revokedBefore == false)
        {
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(actorKeyId, AuditLog.KeyRevoke, After: Audited(key)), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return key;
    }

    // A key in the audit log: what identifies it and what it may do, never its secret or hash.
    private static object Audited(ApiKey key) =>
        new { key.Id, key.Name, key.Scopes, key.Models, key.RequestsPerSecond, key.Burst, key.MaxConcurrency, key.RevokedAt };

    /// <summary>Ids of keys revoked since <paramref name="since"/> (UTC, database clock), and the database's time now.</summary>
    public async Task<(IReadOnlyList<string> Ids, DateTime Now)> RevokedSinceAsync(DateTime since, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var now = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition("SELECT clock_timestamp()", cancellationToken: cancellationToken));
        var ids = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM api_keys WHERE revoked_at >= @since", new { since }, cancellationToken: cancellationToken));
        return (ids.ToList(), now);
    }

    // Dapper maps columns to settable properties; the domain record stays immutable.
    private sealed class ApiKeyRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string[] Scopes { get; set; } = [];
        public string[]? Models { get; set; }
        public double? RequestsPerSecond { get; set; }
        public int? Burst { get; set; }
        public int? MaxConcurrency { get; set; }
        public DateTime CreatedAt { get; set; }
        public DateTime? RevokedAt { get; set; }
        public byte[]? KeyHash { get; set; }

        public ApiKey ToApiKey() => new(Id, Name, Scopes, Models, RequestsPerSecond, Burst, MaxConcurrency,
            new DateTimeOffset(CreatedAt, TimeSpan.Zero), RevokedAt is { } revoked ? new DateTimeOffset(revoked, TimeSpan.Zero) : null);
    }
}
