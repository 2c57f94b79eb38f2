extern alias gateway;

using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AiFactory.Registry.Client;
using AiFactory.Storage;
using Npgsql;
using PolicyRollbackWriter = gateway::AiFactory.Gateway.Traffic.PolicyRollbackWriter;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Changes the model registry of the AppHost the way its admin API does, with the SQL the registry contract implies:
/// an artifact uploaded to the object store and its version recorded (ready, as validation would leave it), a
/// traffic policy set or rolled back, audited and notified in one transaction.
/// </summary>
/// <remarks>
/// Stands in for the admin API's upload, <c>PUT traffic</c> and <c>rollback</c> until the registry's branch is
/// merged; tests then call those endpoints instead.
/// </remarks>
public sealed class RegistryTables : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _database;
    private readonly S3ObjectStore _store;

    private RegistryTables(NpgsqlDataSource database, S3ObjectStore store) => (_database, _store) = (database, store);

    /// <summary>As the gateway reaches them: its database role, its object store.</summary>
    public static RegistryTables Of(AppHostFixture fixture)
    {
        var environment = fixture.EnvironmentOf("gateway");
        var storage = new StorageOptions();
        storage.ApplyConnectionString(environment["ConnectionStrings__storage"], "storage");
        return new RegistryTables(NpgsqlDataSource.Create(environment["ConnectionStrings__aifactory"]),
            new S3ObjectStore(Microsoft.Extensions.Options.Options.Create(storage)));
    }

    public NpgsqlDataSource Database => _database;

    /// <summary>Uploads a new version of <paramref name="model"/> (the next number) in state <c>ready</c>; returns its number.</summary>
    public async Task<int> UploadVersionAsync(string model, byte[] onnx, string config = "{}", string keyId = "tests")
    {
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx));
        var key = ArtifactKeys.Model(model, sha256);
        await _store.PutAsync(key, new MemoryStream(onnx), onnx.Length, CancellationToken.None).WaitAsync(Timeout);

        await using var connection = await _database.OpenConnectionAsync().AsTask().WaitAsync(Timeout);
        await using var transaction = await connection.BeginTransactionAsync();
        await Execute(connection, "INSERT INTO models (name, created_by) VALUES ($1, $2) ON CONFLICT DO NOTHING", model, keyId);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO model_versions (model, version, sha256, size_bytes, storage_key, config, state, created_by)
            SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5::jsonb, 'ready', $6 FROM model_versions WHERE model = $1
            RETURNING version
            """, connection, transaction)
        {
            Parameters = { new() { Value = model }, new() { Value = sha256 }, new() { Value = (long)onnx.Length }, new() { Value = key }, new() { Value = config }, new() { Value = keyId } },
        };
        var version = (int)(await insert.ExecuteScalarAsync())!;
        await Execute(connection, "INSERT INTO audit_log (key_id, action, model, version) VALUES ($1, 'model.version.upload', $2, $3)", keyId, model, version);
        await transaction.CommitAsync();
        return version;
    }

    /// <summary>Stores <paramref name="bytes"/> under <paramref name="key"/>, whatever the key says they should be.</summary>
    public async Task PutObjectAsync(string key, byte[] bytes) =>
        await _store.PutAsync(key, new MemoryStream(bytes), bytes.Length, CancellationToken.None).WaitAsync(Timeout);

    /// <summary>Makes <paramref name="weights"/> the policy in force (its parent the one replaced); returns the policy's id.</summary>
    public async Task<long> SetTrafficAsync(string model, IReadOnlyDictionary<int, int> weights, string reason = "tests", string keyId = "tests")
    {
        var json = new JsonObject(weights.OrderBy(weight => weight.Key).Select(weight => KeyValuePair.Create(weight.Key.ToString(), (JsonNode?)weight.Value))).ToJsonString();
        await using var connection = await _database.OpenConnectionAsync().AsTask().WaitAsync(Timeout);
        await using var transaction = await connection.BeginTransactionAsync();
        await using var set = new NpgsqlCommand("""
            WITH replaced AS (SELECT policy_id FROM model_traffic WHERE model = $1 FOR UPDATE)
            INSERT INTO traffic_policies (model, weights, parent_id, kind, reason, created_by)
            VALUES ($1, $2::jsonb, (SELECT policy_id FROM replaced), 'set', $3, $4) RETURNING id
            """, connection, transaction)
        {
            Parameters = { new() { Value = model }, new() { Value = json }, new() { Value = reason }, new() { Value = keyId } },
        };
        var policyId = (long)(await set.ExecuteScalarAsync())!;
        await Execute(connection, """
            INSERT INTO model_traffic (model, policy_id) VALUES ($1, $2) ON CONFLICT (model) DO UPDATE SET policy_id = excluded.policy_id
            """, model, policyId);
        await Execute(connection, "INSERT INTO audit_log (key_id, action, model, after, reason) VALUES ($1, 'traffic.set', $2, $3::jsonb, $4)", keyId, model, json, reason);
        await Execute(connection, $"SELECT pg_notify('{RegistryChannel.Name}', $1)", model);
        await transaction.CommitAsync();
        return policyId;
    }

    /// <summary>Rolls the model back to the policy before the one in force, as <c>POST .../rollback</c> does.</summary>
    public async Task<long?> RollbackAsync(string model, string reason = "tests", string keyId = "tests")
    {
        var current = await ScalarAsync<long>("SELECT policy_id FROM model_traffic WHERE model = $1", model);
        return await new PolicyRollbackWriter(_database).RollbackAsync(model, current, "rollback", keyId, reason, null, CancellationToken.None).WaitAsync(Timeout);
    }

    /// <summary>
    /// Takes <paramref name="model"/> out of the policies in force, so no replica loads it any more. The admin API
    /// has no such call (a policy is only ever replaced); tests use it to leave the registry as they found it.
    /// </summary>
    public async Task WithdrawAsync(string model)
    {
        await using var connection = await _database.OpenConnectionAsync().AsTask().WaitAsync(Timeout);
        await using var transaction = await connection.BeginTransactionAsync();
        await Execute(connection, "DELETE FROM model_traffic WHERE model = $1", model);
        await Execute(connection, $"SELECT pg_notify('{RegistryChannel.Name}', $1)", model);
        await transaction.CommitAsync();
    }

    /// <summary>The sample models of <paramref name="folder"/> (version 1 of each) with 100 % of their traffic, unless the registry has them already.</summary>
    public async Task ImportAsync(ModelFolder folder, params string[] models)
    {
        foreach (var model in models)
        {
            if (await ScalarAsync<long>("SELECT count(*) FROM model_versions WHERE model = $1", model) > 0)
            {
                continue;
            }

            var config = Path.Combine(folder.Path, model, "config.json");
            var version = await UploadVersionAsync(model, await File.ReadAllBytesAsync(Path.Combine(folder.Path, model, "1", "model.onnx")),
                File.Exists(config) ? await File.ReadAllTextAsync(config) : "{}", "system");
            await SetTrafficAsync(model, new Dictionary<int, int> { [version] = 100 }, "seed", "system");
        }
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = _database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync().WaitAsync(Timeout))!;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync().WaitAsync(Timeout);
    }

    public async ValueTask DisposeAsync()
    {
        _store.Dispose();
        await _database.DisposeAsync();
    }
}
