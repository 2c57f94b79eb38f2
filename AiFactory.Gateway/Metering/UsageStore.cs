using Dapper;
using Npgsql;

namespace AiFactory.Gateway.Metering;

/// <summary>Usage in PostgreSQL (table <c>usage</c>).</summary>
public sealed class UsageStore(NpgsqlDataSource dataSource)
{
    /// <summary>One row of a usage report.</summary>
    public sealed record UsageRow(string KeyId, string Model, string Version, int Status, long Requests);

    /// <summary>Adds the counts in one statement; rows that exist (from this or another gateway) are incremented.</summary>
    public async Task AddAsync(IReadOnlyList<(UsageKey Key, long Requests)> counts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO usage (minute, key_id, model, version, status, requests)
            SELECT * FROM unnest(@minutes, @keys, @models, @versions, @statuses, @requests)
            ON CONFLICT (minute, key_id, model, version, status) DO UPDATE SET requests = usage.requests + excluded.requests
            """, new
        {
            minutes = counts.Select(c => c.Key.Minute).ToArray(),
            keys = counts.Select(c => c.Key.KeyId).ToArray(),
            models = counts.Select(c => c.Key.Model).ToArray(),
            versions = counts.Select(c => c.Key.Version).ToArray(),
            statuses = counts.Select(c => c.Key.Status).ToArray(),
            requests = counts.Select(c => c.Requests).ToArray(),
        }, cancellationToken: cancellationToken));
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
