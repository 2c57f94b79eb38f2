extern alias gateway;

using StickyRouting = gateway::AiFactory.Gateway.Traffic.StickyRouting;
using VersionWeight = gateway::AiFactory.Gateway.Traffic.VersionWeight;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// A model of the AppHost's registry with a stable version 1 and a canary version 2 that fails its requests (503: a
/// batch it waits up to 200 ms for, with 1 ms to wait, as in AutoRollbackTests), split as asked and observed by the
/// gateway, and a client per version: keys whose sticky points land on it, with the API's highest rate limit.
/// </summary>
public sealed class FailingCanary : IAsyncDisposable
{
    private static readonly byte[] Identity = OnnxModelWriter.Identity("FP32");

    private readonly AppHostFixture _fixture;
    private readonly RegistryTables _registry;
    private readonly List<string> _keyIds;

    private FailingCanary(AppHostFixture fixture, string model, RegistryTables registry, IReadOnlyDictionary<int, HttpClient> clients, List<string> keyIds) =>
        (_fixture, Model, _registry, Clients, _keyIds) = (fixture, model, registry, clients, keyIds);

    public string Model { get; }

    /// <summary>Version → a client whose requests without a version the split sends to it.</summary>
    public IReadOnlyDictionary<int, HttpClient> Clients { get; }

    public string InferPath => $"/v2/models/{Model}/infer";

    public static async Task<FailingCanary> StartAsync(AppHostFixture fixture, string prefix, int canaryPercent, CancellationToken cancellationToken)
    {
        var model = RegistryClient.NewModelName(prefix);
        var registry = RegistryTables.Of(fixture);
        await registry.UploadVersionAsync(model, OnnxModelWriter.WithDocString(Identity, "stable"));
        await registry.UploadVersionAsync(model, OnnxModelWriter.WithDocString(Identity, "canary"), """
            {"max_batch_size": 4, "dynamic_batching": {"max_queue_delay_us": 200000, "preferred_batch_sizes": [4], "default_timeout_us": 1000}}
            """);
        await registry.SetTrafficAsync(model, new Dictionary<int, int> { [1] = 100 });
        var weights = new Dictionary<int, int> { [1] = 100 - canaryPercent, [2] = canaryPercent };
        await registry.SetTrafficAsync(model, weights, "canary");
        await fixture.WaitUntilObservedAsync(model, weights, cancellationToken);

        using var admin = fixture.CreateGatewayClient();
        var clients = new Dictionary<int, HttpClient>();
        var keyIds = new List<string>();
        VersionWeight[] split = [new(1, weights[1]), new(2, weights[2])];
        while (clients.Count < 2)
        {
            var (id, key) = await admin.CreateKeyAsync($"{prefix}-{keyIds.Count}", ["infer"], requestsPerSecond: 1_000_000, burst: 1_000_000);
            keyIds.Add(id);
            var version = StickyRouting.Pick(split, StickyRouting.PointOf(id, model));
            if (!clients.ContainsKey(version))
            {
                clients[version] = fixture.CreateGatewayClient(key);
            }
        }

        return new FailingCanary(fixture, model, registry, clients, keyIds);
    }

    /// <summary>One uncached inference request of the split (no version named) through <paramref name="version"/>'s client.</summary>
    public Task<(int Status, string? Version, string? Error)> InferAsync(int version, int seed, CancellationToken cancellationToken) =>
        ContinuousLoad.InferAsync(Clients[version], InferPath, OipRequests.Json("in_fp32", [1, 2], [seed, 1]), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in Clients.Values)
        {
            client.Dispose();
        }

        using var admin = _fixture.CreateGatewayClient();
        foreach (var id in _keyIds)
        {
            await admin.RevokeKeyAsync(id);
        }

        // The replicas unload it: the registry is left as it was found.
        await _registry.WithdrawAsync(Model);
        await _registry.DisposeAsync();
    }
}
