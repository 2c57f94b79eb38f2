using System.Net;
using AiFactory.Tests.Infrastructure;
using Npgsql;

namespace AiFactory.Tests.Registry;

/// <summary>
/// What the registry keeps cannot be rewritten: a version's bytes and facts are immutable (in the database, and the
/// API has no way to change them) and the audit log only grows. Checked as the gateway's own database role, the most
/// a flaw in the gateway could use.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class RegistryIntegrityTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("sha256 = repeat('0', 64)")]
    [InlineData("size_bytes = size_bytes + 1")]
    [InlineData("storage_key = 'models/elsewhere.onnx'")]
    [InlineData("config = '{\"max_batch_size\": 1}'")]
    [InlineData("created_by = 'someone else'")]
    public async Task An_update_of_what_a_version_is_fails_in_the_database(string change)
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("immutable");
        await admin.UploadAsync(model, OnnxModelWriter.Chain("x", "y", "FP32", "Identity"));
        await using var database = NpgsqlDataSource.Create(fixture.EnvironmentOf("gateway")["ConnectionStrings__aifactory"]);
        await using var update = database.CreateCommand($"UPDATE model_versions SET {change} WHERE model = $1 AND version = 1");
        update.Parameters.Add(new NpgsqlParameter { Value = model });

        var refused = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync().WaitAsync(Timeout));

        Assert.Equal($"model versions are immutable: {model} version 1 cannot be changed", refused.MessageText);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    [InlineData("POST")]
    public async Task The_api_has_no_way_to_change_a_versions_bytes(string method)
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("no-rewrite");
        var original = await admin.UploadAsync(model, OnnxModelWriter.Chain("x", "y", "FP32", "Identity"));
        using var content = new ByteArrayContent(OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), "other bytes"));

        using var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/admin/models/{model}/versions/1") { Content = content })
            .WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        var version = (await admin.ModelAsync(model))["versions"]!.AsArray().Single()!;
        Assert.Equal(original["sha256"]!.GetValue<string>(), version["sha256"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("UPDATE audit_log SET key_id = 'someone else'")]
    [InlineData("DELETE FROM audit_log")]
    [InlineData("TRUNCATE audit_log")]
    public async Task The_audit_log_refuses_to_be_changed_or_emptied(string sql)
    {
        using var admin = fixture.CreateGatewayClient();
        await admin.CreateKeyAsync("audit-exists", ["read"]);
        await using var database = NpgsqlDataSource.Create(fixture.EnvironmentOf("gateway")["ConnectionStrings__aifactory"]);
        var before = (long)(await database.CreateCommand("SELECT count(*) FROM audit_log").ExecuteScalarAsync().WaitAsync(Timeout))!;

        var refused = await Assert.ThrowsAsync<PostgresException>(() => database.CreateCommand(sql).ExecuteNonQueryAsync().WaitAsync(Timeout));

        Assert.Equal("the audit log is append-only", refused.MessageText);
        Assert.True(before > 0);
        Assert.True((long)(await database.CreateCommand("SELECT count(*) FROM audit_log").ExecuteScalarAsync().WaitAsync(Timeout))! >= before);
    }
}
