extern alias gateway;

using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using IObservedTraffic = gateway::AiFactory.Gateway.Registry.IObservedTraffic;
using StickyRouting = gateway::AiFactory.Gateway.Traffic.StickyRouting;
using VersionWeight = gateway::AiFactory.Gateway.Traffic.VersionWeight;

namespace AiFactory.Tests.Registry;

/// <summary>
/// A canary that fails is rolled back without anyone asking, by the gateway that saw it fail, and the audit says why
/// with the figures. The gateway is a second one, in-process, with a short window, so the test does not wait a minute.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class AutoRollbackTests(AppHostFixture fixture) : IAsyncLifetime
{
    private static readonly byte[] Identity = OnnxModelWriter.Identity("FP32");
    private readonly string _model = $"canary-{Guid.NewGuid():N}"[..17];
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromMinutes(3));
    private RegistryTables _registry = null!;

    public Task InitializeAsync()
    {
        _registry = RegistryTables.Of(fixture);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_canary_that_fails_is_rolled_back_automatically_and_audited_with_the_figures()
    {
        await _registry.UploadVersionAsync(_model, OnnxModelWriter.WithDocString(Identity, "stable"));
        // A canary whose configuration fails its requests: each waits up to 200 ms for a batch of 4, but may wait 1 ms.
        await _registry.UploadVersionAsync(_model, OnnxModelWriter.WithDocString(Identity, "canary"), """
            {"max_batch_size": 4, "dynamic_batching": {"max_queue_delay_us": 200000, "preferred_batch_sizes": [4], "default_timeout_us": 1000}}
            """);
        await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [1] = 100 });
        var canaryPolicy = await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [1] = 50, [2] = 50 }, "canary");
        await using var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["Registry:AutoRollback:Window"] = "00:00:30",
            ["Registry:AutoRollback:MinRequests"] = "20",
            ["Registry:AutoRollback:EvaluationInterval"] = "00:00:01",
        });
        using var rollbacks = new CounterRecorder(gateway.Services, "aifactory.gateway.rollouts.auto_rollbacks");
        var observed = gateway.Services.GetRequiredService<IObservedTraffic>();
        while (observed.Weights(_model).GetValueOrDefault(2) != 50)
        {
            await Task.Delay(100, _deadline.Token);
        }

        // Keys on both versions (their sticky points tell which).
        using var admin = fixture.CreateGatewayClient();
        var keys = new List<(string Key, int Version)>();
        while (keys.Select(key => key.Version).Distinct().Count() < 2 || keys.Count < 10)
        {
            var (id, key) = await admin.CreateKeyAsync($"canary-{keys.Count}", ["infer"]);
            keys.Add((key, StickyRouting.Pick([new VersionWeight(1, 50), new VersionWeight(2, 50)], StickyRouting.PointOf(id, _model))));
        }

        var clients = keys.Select(key => gateway.CreateClient(key.Key)).ToList();
        var answers = new List<(int Status, string? Version)>();
        for (var i = 0; i < 2000 && await InForceAsync() == canaryPolicy; i++)
        {
            var (status, version, _) = await ContinuousLoad.InferAsync(clients[i % clients.Count], $"/v2/models/{_model}/infer", OipRequests.Json("in_fp32", [1, 2], [i, 1]), _deadline.Token);
            answers.Add((status, version));
        }

        Assert.True(await InForceAsync() != canaryPolicy, $"no rollback after {answers.Count} requests");
        Assert.Contains(answers, answer => answer is (503, "2"));
        Assert.Contains(answers, answer => answer is (200, "1"));
        var policy = await _registry.ScalarAsync<string>(
            "SELECT kind || ' ' || created_by || ' ' || weights::text FROM traffic_policies WHERE id = (SELECT policy_id FROM model_traffic WHERE model = $1)", _model);
        Assert.Equal("auto_rollback system {\"1\": 100}", policy);
        var audit = JsonNode.Parse(await _registry.ScalarAsync<string>(
            "SELECT json_build_object('key_id', key_id, 'reason', reason, 'after', after)::text FROM audit_log WHERE model = $1 AND action = 'traffic.auto_rollback'", _model))!;
        Assert.Equal("system", audit["key_id"]!.GetValue<string>());
        Assert.StartsWith("automatic rollback: version 2 failed ", audit["reason"]!.GetValue<string>());
        var canary = audit["after"]!["figures"]!["canary"]!;
        Assert.Equal(2, canary["version"]!.GetValue<int>());
        Assert.True(canary["errors"]!.GetValue<long>() >= 20 && canary["error_rate"]!.GetValue<double>() > 0.9, canary.ToJsonString());
        Assert.Equal(1, audit["after"]!["figures"]!["stable"]!["version"]!.GetValue<int>());
        Assert.Equal(1, rollbacks.Sum($"model={_model}"));

        // Every key is on the stable version again.
        while (observed.Weights(_model).GetValueOrDefault(1) != 100)
        {
            await Task.Delay(100, _deadline.Token);
        }

        foreach (var client in clients)
        {
            Assert.Equal((200, "1", null), await ContinuousLoad.InferAsync(client, $"/v2/models/{_model}/infer", OipRequests.Json("in_fp32", [1, 2], [1, 1]), _deadline.Token));
            client.Dispose();
        }
    }

    private Task<long> InForceAsync() => _registry.ScalarAsync<long>("SELECT policy_id FROM model_traffic WHERE model = $1", _model);

    public async Task DisposeAsync()
    {
        _deadline.Dispose();
        await _registry.DisposeAsync();
    }
}
