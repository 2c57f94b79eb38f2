using Dapper;
using Npgsql;

namespace AiFactory.Gateway.Metering;

/// <summary>Usage in PostgreSQL (tables <c>usage</c> and <c>usage_batches</c>).</summary>
public sealed class UsageStore(NpgsqlDataSource dataSource)
{
    /// <summary>One row of a usage report.</summary>
    public sealed record UsageRow(string KeyId, string Model, string Version, int Status, long Requests);

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => dataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// Adds a batch in one statement, hence one transaction: its id goes into <c>usage_batches</c> and its counts into
    /// <c>usage</c> (rows that exist, from this or another gateway, are incremented), unless the id is there already,
    /// in which case nothing changes. True when this call added the batch.
    /// </summary>
    public static async Task<bool> AddAsync(NpgsqlConnection connection, UsageBatch batch, CancellationToken cancellationToken)
    {
        var rows = batch.Rows;
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            WITH batch AS (
                INSERT INTO usage_batches (id) VALUES (@id) ON CONFLICT DO NOTHING RETURNING id
            ), added AS (
                INSERT INTO usage (minute, key_id, model, version, status, requests)
                SELECT u.minute, u.key_id, u.model, u.version, u.status, u.requests
                FROM unnest(@minutes, @keys, @models, @versions, @statuses, @requests) AS u(minute, key_id, model, version, status, requests)
                WHERE EXISTS (SELECT 1 FROM batch)
                ON CONFLICT (minute, key_id, model, version, status) DO UPDATE SET requests = usage.requests + excluded.requests
            )
            SELECT EXISTS (SELECT 1 FROM batch)
            """, new
        {
            id = batch.Id,
            minutes = rows.Select(c => c.Key.Minute).ToArray(),
            keys = rows.Select(c => c.Key.KeyId).ToArray(),
            models = rows.Select(c => c.Key.Model).ToArray(),
            versions = rows.Select(c => c.Key.Version).ToArray(),
            statuses = rows.Select(c => c.Key.Status).ToArray(),
            requests = rows.Select(c => c.Requests).ToArray(),
        }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Whether PostgreSQL refused what a write carried (a value it cannot store, a constraint), not the write itself:
    /// writing the same rows again would fail the same way.
    /// </summary>
    public static bool RefusedData(PostgresException e) => e.SqlState[..2] is "22" or "23" or "54";

    /// <summary>
    /// Whether a failed write certainly did not commit: PostgreSQL answered it with an error. A broken connection, a
    /// timeout or the server going away mid-statement leave the outcome unknown.
    /// </summary>
    public static bool CertainlyNotWritten(Exception e) => e is PostgresException { SqlState: var state } && state[..2] is not ("08" or "57" or "58" or "XX");

    /// <summary>Forgets the ids of batches written more than <paramref name="age"/> ago; returns how many.</summary>
    public async Task<int> PruneBatchesAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM usage_batches WHERE written_at < now() - @age", new { age }, cancellationToken: cancellationToken));
    }

    /// <summary>Requests per key, model, version and status in the minutes from <paramref name="from"/> up to <paramref name="to"/>.</summary>
    public async Task<IReadOnlyList<UsageRow>> QueryAsync(DateTime from, DateTime to, string? keyId, string? model, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<UsageRow>(new CommandDefinition("""
            SELECT key_id AS KeyId, model, version, status, sum(requests)::bigint AS Requests
            FROM usage
            WHERE minute >= @from AND minute < @to
              AND (@keyId::text IS NULL OR key_id = @keyId) AND (@model::text IS NULL OR model = @model)
            GROUP BY key_id, model, version, status
            ORDER BY key_id, model, version, status
            """, new { from, to, keyId, model }, cancellationToken: cancellationToken));
        return rows.ToList();
    }
}
