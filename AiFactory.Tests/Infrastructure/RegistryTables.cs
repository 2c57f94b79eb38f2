extern alias gateway;

using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AiFactory.Registry.Client;
using AiFactory.Storage;
using Npgsql;
using RegistryStore = gateway::AiFactory.Gateway.Registry.RegistryStore;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Changes the model registry of the AppHost as its admin API does, without the wait for validation: an artifact
/// uploaded to the object store and its version recorded <c>ready</c> (as validation leaves a good model, or as it
/// never would leave a broken one, for tests of what replicas do with it); traffic set and rolled back through the
/// gateway's own <see cref="RegistryStore"/>, the methods <c>PUT traffic</c> and <c>rollback</c> call.
/// </summary>
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

    /// <summary>Makes <paramref name="weights"/> the policy in force (its parent the one replaced), as <c>PUT traffic</c> does; returns the policy's id.</summary>
    public async Task<long> SetTrafficAsync(string model, IReadOnlyDictionary<int, int> weights, string reason = "tests", string keyId = "tests") =>
        (await new RegistryStore(_database).SetTrafficAsync(model, weights, reason, false, keyId, CancellationToken.None).WaitAsync(Timeout)).Id;

    /// <summary>Rolls the model back to the policy before the one in force, as <c>POST .../rollback</c> does; returns the policy now in force.</summary>
    public async Task<long?> RollbackAsync(string model, string reason = "tests", string keyId = "tests") =>
        (await new RegistryStore(_database).RollbackAsync(model, reason, keyId, CancellationToken.None).WaitAsync(Timeout))?.Id;

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
