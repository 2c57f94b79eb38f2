extern alias gateway;

using System.Net;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using StickyRouting = gateway::AiFactory.Gateway.Traffic.StickyRouting;
using VersionWeight = gateway::AiFactory.Gateway.Traffic.VersionWeight;

namespace AiFactory.Tests.Registry;

/// <summary>
/// The traffic split through the real gateway and replicas: weights, stickiness per key, versions at 0 %, named
/// versions, and the per-version metrics. Each test works on a model of its own.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class TrafficSplitTests(AppHostFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly byte[] Identity = OnnxModelWriter.Identity("FP32");
    private readonly string _model = $"split-{Guid.NewGuid():N}"[..16];
    private readonly CancellationTokenSource _deadline = new(Timeout);
    private RegistryTables _registry = null!;

    public Task InitializeAsync()
    {
        _registry = RegistryTables.Of(fixture);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_90_10_split_sends_about_10_percent_of_100_keys_to_the_canary_and_each_key_stays_on_its_version()
    {
        await UploadAsync(2);
        await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [1] = 90, [2] = 10 });
        await fixture.WaitUntilObservedAsync(_model, new Dictionary<int, int> { [1] = 90, [2] = 10 }, _deadline.Token);
        using var admin = fixture.CreateGatewayClient();

        var served = new Dictionary<string, HashSet<string>>();
        var expected = new Dictionary<string, string>();
        for (var i = 0; i < 100; i++)
        {
            var (id, key) = await admin.CreateKeyAsync($"split-{i}", ["infer"]);
            using var client = fixture.CreateGatewayClient(key);
            served[id] = [];
            for (var request = 0; request < 3; request++)
            {
                var (status, version, error) = await ContinuousLoad.InferAsync(client, $"/v2/models/{_model}/infer", Input(i * 3 + request), _deadline.Token);
                Assert.True(status == 200, $"{status}: {error}");
                served[id].Add(version!);
            }

            expected[id] = StickyRouting.Pick([new VersionWeight(1, 90), new VersionWeight(2, 10)], StickyRouting.PointOf(id, _model)).ToString();
        }

        Assert.All(served, key => Assert.True(key.Value.Count == 1, $"key {key.Key} was served by versions {string.Join(", ", key.Value)}"));
        Assert.All(served, key => Assert.Equal(expected[key.Key], key.Value.Single()));
        // 4.5 standard deviations of the binomial (100 keys, p = 0.1).
        var onCanary = served.Count(key => key.Value.Single() == "2");
        Assert.InRange(onCanary, 10 - 4.5 * 3, 10 + 4.5 * 3);

        // Per-version metrics: every request counted once, under the version that answered (the exporter answers
        // from a copy up to 300 ms old).
        await Task.Delay(TimeSpan.FromSeconds(1));
        var model = $"model=\"{_model}\"";
        Assert.Equal(300, await fixture.GatewayMetricAsync("aifactory_gateway_model_requests_total", model, "outcome=\"success\""));
        Assert.Equal(3 * onCanary, await fixture.GatewayMetricAsync("aifactory_gateway_model_requests_total", model, "version=\"2\""));
        Assert.Equal(3 * onCanary, await fixture.GatewayMetricAsync("aifactory_gateway_model_duration_seconds_count", model, "version=\"2\""));
    }

    [Fact]
    public async Task A_new_version_at_0_percent_gets_no_traffic_but_answers_when_named()
    {
        await UploadAsync(2);
        await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [1] = 100, [2] = 0 });
        await fixture.WaitUntilObservedAsync(_model, new Dictionary<int, int> { [1] = 100, [2] = 0 }, _deadline.Token);
        await WaitUntilEveryReplicaServesAsync(2);
        using var admin = fixture.CreateGatewayClient();

        for (var i = 0; i < 20; i++)
        {
            var (_, key) = await admin.CreateKeyAsync($"zero-{i}", ["infer"]);
            using var client = fixture.CreateGatewayClient(key);
            Assert.Equal((200, "1", null), await ContinuousLoad.InferAsync(client, $"/v2/models/{_model}/infer", Input(i), _deadline.Token));
        }

        Assert.Equal((200, "2", null), await ContinuousLoad.InferAsync(admin, $"/v2/models/{_model}/versions/2/infer", Input(0), _deadline.Token));
    }

    [Fact]
    public async Task A_named_version_no_replica_serves_is_503_naming_the_version()
    {
        await UploadAsync(2);
        await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [1] = 100 });
        await fixture.WaitUntilObservedAsync(_model, new Dictionary<int, int> { [1] = 100 }, _deadline.Token);
        using var admin = fixture.CreateGatewayClient();

        // Version 2 is in the registry and ready, but in no policy: no replica loads it.
        var (status, _, error) = await ContinuousLoad.InferAsync(admin, $"/v2/models/{_model}/versions/2/infer", Input(0), _deadline.Token);

        Assert.Equal(503, status);
        Assert.Equal($"version 2 of model '{_model}' is not ready on any available replica", OipRequests.ErrorOf(error!).GetString());
    }

    [Fact]
    public async Task A_grpc_call_that_names_no_version_is_split_as_rest_is_and_a_named_version_no_replica_serves_is_unavailable()
    {
        await UploadAsync(3);
        await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [1] = 50, [2] = 50 });
        await fixture.WaitUntilObservedAsync(_model, new Dictionary<int, int> { [1] = 50, [2] = 50 }, _deadline.Token);
        using var admin = fixture.CreateGatewayClient();
        var versions = new HashSet<string>();

        for (var i = 0; i < 12; i++)
        {
            var (id, key) = await admin.CreateKeyAsync($"grpc-{i}", ["infer"]);
            using var channel = fixture.CreateGatewayGrpcChannel(key);
            var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var expected = StickyRouting.Pick([new VersionWeight(1, 50), new VersionWeight(2, 50)], StickyRouting.PointOf(id, _model)).ToString();

            var answer = await grpc.ModelInferAsync(GrpcInput(null), deadline: DateTime.UtcNow.AddSeconds(30));
            using var rest = fixture.CreateGatewayClient(key);

            Assert.Equal(expected, answer.ModelVersion);
            Assert.Equal((200, expected, null), await ContinuousLoad.InferAsync(rest, $"/v2/models/{_model}/infer", Input(i), _deadline.Token));
            Assert.True((await grpc.ModelReadyAsync(new ModelReadyRequest { Name = _model }, deadline: DateTime.UtcNow.AddSeconds(30))).Ready);
            versions.Add(answer.ModelVersion);
        }

        Assert.Equal(["1", "2"], versions.Order());
        using var adminChannel = fixture.CreateGatewayGrpcChannel();
        var refused = await Assert.ThrowsAsync<RpcException>(() => new GRPCInferenceService.GRPCInferenceServiceClient(adminChannel)
            .ModelInferAsync(GrpcInput("3"), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.Equal((StatusCode.Unavailable, $"version 3 of model '{_model}' is not ready on any available replica"), (refused.StatusCode, refused.Status.Detail));
    }

    private ModelInferRequest GrpcInput(string? version)
    {
        var request = new ModelInferRequest { ModelName = _model, ModelVersion = version ?? "" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "in_fp32", Datatype = "FP32", Shape = { 1, 2 } });
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[8]));
        return request;
    }

    private async Task UploadAsync(int versions)
    {
        for (var version = 1; version <= versions; version++)
        {
            await _registry.UploadVersionAsync(_model, OnnxModelWriter.WithDocString(Identity, $"version {version}"));
        }
    }

    private async Task WaitUntilEveryReplicaServesAsync(int version)
    {
        foreach (var replica in fixture.InferenceReplicaEndpoints())
        {
            using var http = new HttpClient { BaseAddress = replica };
            while ((await http.GetAsync($"/v2/models/{_model}/versions/{version}/ready", _deadline.Token)).StatusCode != HttpStatusCode.OK)
            {
                await Task.Delay(100, _deadline.Token);
            }
        }
    }

    private static StringContent Input(int seed) => OipRequests.Json("in_fp32", [1, 2], [seed, seed + 1]);

    public async Task DisposeAsync()
    {
        _deadline.Dispose();
        await _registry.DisposeAsync();
    }
}
