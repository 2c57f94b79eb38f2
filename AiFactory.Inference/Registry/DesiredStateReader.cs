using Npgsql;

namespace AiFactory.Inference.Registry;

/// <summary>
/// Reads what the registry wants loaded, with the replica's read-only role: for each model with a policy in force,
/// every version named in that policy's weights (0 included: callers can still name it) and in its parent policy
/// (the rollback target stays warm), as long as the version is <c>ready</c>.
/// </summary>
public sealed class DesiredStateReader(NpgsqlDataSource dataSource)
{
    private const string Sql = """
        SELECT v.model, v.version, v.sha256, v.size_bytes, v.storage_key, v.config::text
        FROM model_traffic t
        JOIN traffic_policies p ON p.id = t.policy_id
        LEFT JOIN traffic_policies parent ON parent.id = p.parent_id
        JOIN model_versions v ON v.model = t.model
        WHERE v.state = 'ready'
          AND (jsonb_exists(p.weights, v.version::text) OR coalesce(jsonb_exists(parent.weights, v.version::text), false))
        ORDER BY v.model, v.version
        """;

    public async Task<IReadOnlyList<DesiredVersion>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var desired = new List<DesiredVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            desired.Add(new DesiredVersion(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt64(3),
                reader.GetString(4), reader.GetString(5)));
        }

        return desired;
    }
}
