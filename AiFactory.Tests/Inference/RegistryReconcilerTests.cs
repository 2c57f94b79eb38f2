using System.Net;
using AiFactory.Storage;
using AiFactory.Tests.Infrastructure;
using Npgsql;

namespace AiFactory.Tests.Inference;

/// <summary>
/// An inference replica in registry mode: what it loads and lets go of, what it does when PostgreSQL or the object
/// store does not answer, and what it does with registry entries it cannot trust. Each test works on models of its
/// own, on the AppHost's PostgreSQL and object store, with a replica started in-process on a cache of its own.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class RegistryReconcilerTests(AppHostFixture fixture) : IAsyncLifetime
{
    private static readonly byte[] Identity = OnnxModelWriter.Identity("FP32");
    private readonly string _cache = Directory.CreateTempSubdirectory("aifactory-replica-cache-").FullName;
    private readonly string _model = $"reconcile-{Guid.NewGuid():N}"[..20];
    private RegistryTables _registry = null!;

    public Task InitializeAsync()
    {
        _registry = RegistryTables.Of(fixture);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_replica_serves_the_policy_in_force_and_its_parent_and_lets_go_of_the_rest()
    {
        for (var version = 1; version <= 3; version++)
        {
            await _registry.UploadVersionAsync(_model, Variant(version));
        }

        await _registry.SetTrafficAsync(_model, Weights((1, 100)));
        await using var replica = await InferenceInstance.StartAsync(fixture, _cache);
        await replica.WaitUntilAsync(async () => await replica.StatesAsync(_model) == "1=READY", "serving version 1");

        await _registry.SetTrafficAsync(_model, Weights((1, 90), (2, 10)));
        await replica.WaitUntilAsync(async () => await replica.StatesAsync(_model) == "1=READY 2=READY", "serving the canary");

        // Promoted: version 1 is the rollback target, so it stays loaded.
        await _registry.SetTrafficAsync(_model, Weights((2, 100)));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal("1=READY 2=READY", await replica.StatesAsync(_model));

        // Version 1 is now in neither the policy nor its parent.
        await _registry.SetTrafficAsync(_model, Weights((3, 100)));
        await replica.WaitUntilAsync(async () => await replica.StatesAsync(_model) == "2=READY 3=READY", "letting go of version 1");
        Assert.False(Directory.Exists(Path.Combine(_cache, _model, "1")), "the cache still holds version 1");
        Assert.True(File.Exists(Path.Combine(_cache, _model, "3", "model.onnx")));

        using var answer = await replica.Http.PostAsync($"/v2/models/{_model}/versions/3/infer", OipRequests.Json("in_fp32", [1, 2], [1f, 2f]));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task A_replica_restarted_while_PostgreSQL_does_not_answer_serves_what_it_served_before()
    {
        await _registry.SetTrafficAsync(_model, Weights((await _registry.UploadVersionAsync(_model, Variant(1)), 100)));
        await using (var first = await InferenceInstance.StartAsync(fixture, _cache))
        {
            await first.WaitUntilAsync(async () => await first.StatesAsync(_model) == "1=READY", "serving version 1");
        }

        await using var restarted = await InferenceInstance.StartAsync(fixture, _cache, new Dictionary<string, string?>
        {
            ["ConnectionStrings:aifactory"] = UnreachableDatabase,
            ["Registry:DatabaseTimeout"] = "00:00:02",
        });

        Assert.Equal("1=READY", await restarted.StatesAsync(_model));
        using var answer = await restarted.Http.PostAsync($"/v2/models/{_model}/infer", OipRequests.Json("in_fp32", [1, 2], [1f, 2f]));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task A_replica_that_has_never_reached_PostgreSQL_is_ready_with_nothing_to_serve()
    {
        await using var replica = await InferenceInstance.StartAsync(fixture, _cache, new Dictionary<string, string?>
        {
            ["ConnectionStrings:aifactory"] = UnreachableDatabase,
            ["Registry:DatabaseTimeout"] = "00:00:02",
        });

        Assert.Empty(await replica.IndexAsync());
        Assert.Equal(HttpStatusCode.OK, (await replica.Http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Attack_an_artifact_that_is_not_the_one_the_registry_names_is_never_served()
    {
        await _registry.UploadVersionAsync(_model, Variant(1));
        var forged = await _registry.UploadVersionAsync(_model, Variant(2));
        // Someone with access to the bucket replaces version 2's bytes with another model.
        var key = await _registry.ScalarAsync<string>("SELECT storage_key FROM model_versions WHERE model = $1 AND version = $2", _model, forged);
        await _registry.PutObjectAsync(key, Variant(9)); // as long as the real one: only its hash tells
        await _registry.SetTrafficAsync(_model, Weights((1, 50), (2, 50)));

        await using var replica = await InferenceInstance.StartAsync(fixture, _cache);
        using var downloads = new CounterRecorder(replica.Services, "aifactory.inference.registry.downloads");
        await replica.WaitUntilAsync(async () => await replica.StatesAsync(_model) == "1=READY 2=UNAVAILABLE", "refusing version 2");

        var reason = (await replica.IndexAsync())[_model]["2"].Reason;
        Assert.StartsWith($"the artifact cannot be fetched yet (retrying in ", reason);
        Assert.Contains($"artifact '{key}' failed verification: SHA-256 is ", reason);
        Assert.False(File.Exists(Path.Combine(_cache, _model, "2", "model.onnx")), "the forged artifact reached the cache");
        Assert.Empty(Directory.GetFiles(Path.Combine(_cache, _model, "2"), "*.partial"));
        using var answer = await replica.Http.PostAsync($"/v2/models/{_model}/versions/2/infer", OipRequests.Json("in_fp32", [1, 2], [1f, 2f]));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.StartsWith($"model '{_model}' version 2 is not ready (UNAVAILABLE: the artifact cannot be fetched yet",
            OipRequests.ErrorOf(await answer.Content.ReadAsStringAsync()).GetString());
        await replica.WaitUntilAsync(() => Task.FromResult(downloads.Sum("outcome=integrity_failed") >= 1), "counting the failed verification");
        Assert.Equal(HttpStatusCode.OK, (await replica.Http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task A_version_whose_config_the_replica_cannot_use_is_unavailable_with_the_reason_and_the_others_serve()
    {
        await _registry.UploadVersionAsync(_model, Variant(1));
        await _registry.UploadVersionAsync(_model, Variant(2), """{"max_batch_size": -4}""");
        await _registry.SetTrafficAsync(_model, Weights((1, 90), (2, 10)));

        await using var replica = await InferenceInstance.StartAsync(fixture, _cache);
        using var rejected = new CounterRecorder(replica.Services, "aifactory.inference.registry.rejected");
        await replica.WaitUntilAsync(async () => await replica.StatesAsync(_model) == "1=READY 2=UNAVAILABLE", "refusing version 2");

        Assert.EndsWith("config.json: 'max_batch_size' must be 0 or more, not -4", (await replica.IndexAsync())[_model]["2"].Reason);
        Assert.Equal(HttpStatusCode.OK, (await replica.Http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task While_the_store_does_not_answer_loaded_versions_keep_serving_and_the_download_is_retried_with_backoff()
    {
        await using var store = await S3rverProcess.StartAsync();
        var first = Variant(1);
        await _registry.SetTrafficAsync(_model, Weights((await _registry.UploadVersionAsync(_model, first), 100)));
        await CopyToAsync(store, 1);
        await using var replica = await InferenceInstance.StartAsync(fixture, _cache, new Dictionary<string, string?>
        {
            ["ConnectionStrings:storage"] = store.ConnectionString,
        });
        using var downloads = new CounterRecorder(replica.Services, "aifactory.inference.registry.downloads");
        await replica.WaitUntilAsync(async () => await replica.StatesAsync(_model) == "1=READY", "serving version 1");

        await store.StopAsync();
        await _registry.UploadVersionAsync(_model, Variant(2));
        await _registry.SetTrafficAsync(_model, Weights((1, 50), (2, 50)));

        // Tried again after 1 s, 2 s, then 4 s.
        await replica.WaitUntilAsync(async () => (await replica.IndexAsync())[_model].GetValueOrDefault("2").Reason?.Contains("(retrying in 4 s)") == true,
            "retrying the download with backoff");
        var states = await replica.IndexAsync();
        Assert.Equal("READY", states[_model]["1"].State);
        Assert.Contains($"the object store at {store.Endpoint} cannot be reached", states[_model]["2"].Reason);
        Assert.True(downloads.Sum("outcome=storage_unavailable") >= 3);
        for (var i = 0; i < 5; i++)
        {
            using var answer = await replica.Http.PostAsync($"/v2/models/{_model}/versions/1/infer", OipRequests.Json("in_fp32", [1, 2], [1f, 2f]));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
    }

    [Fact]
    public async Task The_replicas_role_reads_what_to_load_and_nothing_else()
    {
        await using var replica = NpgsqlDataSource.Create(fixture.EnvironmentOf(AppHostFixture.InferenceReplicas[0])["ConnectionStrings__aifactory"]);

        Assert.Equal("aifactory_inference", await replica.CreateCommand("SELECT current_user::text").ExecuteScalarAsync());
        foreach (var table in new[] { "model_traffic", "traffic_policies", "model_versions" })
        {
            await replica.CreateCommand($"SELECT count(*) FROM {table}").ExecuteScalarAsync();
        }

        foreach (var sql in new[]
                 {
                     "SELECT count(*) FROM api_keys", "SELECT count(*) FROM usage", "SELECT count(*) FROM audit_log",
                     "SELECT count(*) FROM validation_reports", "UPDATE model_traffic SET policy_id = policy_id",
                     "INSERT INTO audit_log (key_id, action) VALUES ('inference', 'forged')", "CREATE TABLE intruder (id int)",
                 })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => replica.CreateCommand(sql).ExecuteNonQueryAsync());
            Assert.True(refused.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ReadOnlySqlTransaction, $"{sql}: {refused.Message}");
        }
    }

    private static string UnreachableDatabase => $"Host=127.0.0.1;Port={S3rverProcess.FreePort()};Username=aifactory_inference;Password=x;Database=aifactory;Timeout=2";

    /// <summary>Another artifact with the same graph (a doc string of its own).</summary>
    private static byte[] Variant(int n) => OnnxModelWriter.WithDocString(Identity, $"variant {n}");

    private static Dictionary<int, int> Weights(params (int Version, int Percent)[] weights) => weights.ToDictionary(weight => weight.Version, weight => weight.Percent);

    private async Task CopyToAsync(S3rverProcess store, int version)
    {
        var key = await _registry.ScalarAsync<string>("SELECT storage_key FROM model_versions WHERE model = $1 AND version = $2", _model, version);
        using var client = store.CreateStore();
        await using var bytes = new MemoryStream(Variant(version));
        await client.PutAsync(key, bytes, bytes.Length, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        try
        {
            Directory.Delete(_cache, recursive: true);
        }
        catch (IOException)
        {
            // In the temp directory; harmless.
        }
    }
}
