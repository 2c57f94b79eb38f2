using System.Text.Json.Nodes;
using AiFactory.Registry.Client;
using Npgsql;
using NpgsqlTypes;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// <see cref="ITrafficRollback"/> over the registry tables, as the registry contract describes a rollback: a new
/// policy with the weights of the parent of the one in force (its own parent the parent's, so rollbacks walk back),
/// made the one in force only if the expected one still is, an audit row with the figures, and the notification, in
/// one transaction.
/// </summary>
/// <remarks>Stands in until the registry's store (RegistryStore.RollbackAsync) provides the same.</remarks>
public sealed class PolicyRollbackWriter(NpgsqlDataSource dataSource) : ITrafficRollback
{
    public async Task<long?> RollbackAsync(string model, long expectedPolicyId, string kind, string keyId, string reason, JsonObject? figures,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using var current = new NpgsqlCommand("""
            SELECT p.weights::text, parent.id, parent.weights::text, parent.parent_id
            FROM model_traffic t
            JOIN traffic_policies p ON p.id = t.policy_id
            LEFT JOIN traffic_policies parent ON parent.id = p.parent_id
            WHERE t.model = $1 AND t.policy_id = $2
            FOR UPDATE OF t
            """, connection, transaction)
        {
            Parameters = { new() { Value = model }, new() { Value = expectedPolicyId } },
        };
        string weights, targetWeights;
        long targetId;
        long? targetParent;
        await using (var reader = await current.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(1))
            {
                return null;
            }

            (weights, targetId, targetWeights) = (reader.GetString(0), reader.GetInt64(1), reader.GetString(2));
            targetParent = reader.IsDBNull(3) ? null : reader.GetInt64(3);
        }

        await using var insert = new NpgsqlCommand("""
            INSERT INTO traffic_policies (model, weights, parent_id, kind, reason, created_by)
            VALUES ($1, $2::jsonb, $3, $4, $5, $6) RETURNING id
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = model }, new() { Value = targetWeights }, new() { Value = (object?)targetParent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
                new() { Value = kind }, new() { Value = reason }, new() { Value = keyId },
            },
        };
        var policyId = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;

        var before = new JsonObject { ["policy_id"] = expectedPolicyId, ["weights"] = JsonNode.Parse(weights) };
        var after = new JsonObject { ["policy_id"] = policyId, ["weights"] = JsonNode.Parse(targetWeights), ["returned_to"] = targetId };
        if (figures is not null)
        {
            after["figures"] = figures.DeepClone();
        }

        await using var apply = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new("UPDATE model_traffic SET policy_id = $2 WHERE model = $1") { Parameters = { new() { Value = model }, new() { Value = policyId } } },
                new("INSERT INTO audit_log (key_id, action, model, before, after, reason) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)")
                {
                    Parameters =
                    {
                        new() { Value = keyId }, new() { Value = $"traffic.{kind}" }, new() { Value = model },
                        new() { Value = before.ToJsonString() }, new() { Value = after.ToJsonString() }, new() { Value = reason },
                    },
                },
                new($"SELECT pg_notify('{RegistryChannel.Name}', $1)") { Parameters = { new() { Value = model } } },
            },
        };
        await apply.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return policyId;
    }
}
