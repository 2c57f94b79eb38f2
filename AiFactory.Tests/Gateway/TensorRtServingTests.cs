extern alias gateway;

using System.Text.Json.Nodes;
using AiFactory.Inference.Repository;
using AiFactory.Tests.Infrastructure;
using gateway::AiFactory.Gateway.Overview;
using gateway::AiFactory.Gateway.Registry;

namespace AiFactory.Tests.Gateway;

/// <summary>The <c>tensorrt</c> serving configuration: the config it derives from the parent's, and its refusal where no replica can use TensorRT.</summary>
public sealed class TensorRtServingTests
{
    [Theory]
    [InlineData("fp16", true, false)]
    [InlineData("int8", false, true)]
    public void The_config_is_the_parents_with_the_tensorrt_provider_its_precision_and_caches_and_a_replica_loads_it(string precision, bool fp16, bool int8)
    {
        const string parent = """
            {"max_batch_size": 8, "dynamic_batching": {"max_queue_delay_us": 500}, "warmup": [1, 8],
             "warmup_shapes": [{"x": [3, 48, 192]}, {"x": [3, 48, 320]}], "execution_provider": "cuda", "cuda_graphs": true,
             "tensorrt": {"max_workspace_bytes": 1073741824}}
            """;

        var derived = TensorRtServing.Config(parent, precision);

        var json = JsonNode.Parse(derived)!;
        Assert.Equal("tensorrt", json["execution_provider"]!.GetValue<string>());
        Assert.Null(json["cuda_graphs"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""{"max_workspace_bytes": 1073741824, "fp16": {{(fp16 ? "true" : "false")}}, "int8": {{(int8 ? "true" : "false")}}, "engine_cache": true, "timing_cache": true}"""),
            json["tensorrt"]), json["tensorrt"]!.ToJsonString());
        // What shapes the engines' profiles stays as it was.
        foreach (var kept in new[] { "max_batch_size", "dynamic_batching", "warmup", "warmup_shapes" })
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(parent)![kept], json[kept]), kept);
        }

        var loaded = ModelConfig.Parse(derived, "derived config.json");
        Assert.Equal((ExecutionProvider.TensorRT, fp16, int8, true, true, 1L << 30),
            (loaded.Provider, loaded.TensorRt!.Fp16, loaded.TensorRt.Int8, loaded.TensorRt.EngineCache, loaded.TensorRt.TimingCache, loaded.TensorRt.MaxWorkspaceBytes));
    }

    [Fact]
    public void The_sample_classifiers_config_becomes_a_tensorrt_config_a_replica_loads()
    {
        var derived = TensorRtServing.Config(RegistryClient.SampleConfig, "fp16");

        var loaded = ModelConfig.Parse(derived, "derived config.json");

        Assert.Equal((ExecutionProvider.TensorRT, true, false), (loaded.Provider, loaded.TensorRt!.Fp16, loaded.TensorRt.Int8));
        Assert.Equal(ModelConfig.Parse(RegistryClient.SampleConfig, "parent").MaxBatchSize, loaded.MaxBatchSize);
    }

    [Fact]
    public void Replicas_without_the_tensorrt_provider_refuse_it_naming_what_each_can_use()
    {
        ReplicaView[] replicas =
        [
            Replica("inference-1", ["CPUExecutionProvider"]),
            Replica("inference-2", ["CPUExecutionProvider", "CUDAExecutionProvider"]),
            new("inference-3", "http://inference-3", Reachable: false, null, false, null, [], "connection refused"),
        ];

        Assert.Equal("no inference replica can use the TensorRT execution provider (it needs an NVIDIA GPU with TensorRT's libraries): "
                     + "inference-1: CPUExecutionProvider; inference-2: CPUExecutionProvider, CUDAExecutionProvider; inference-3: unreachable (connection refused)",
            TensorRtServing.Refusal(replicas));
        Assert.Equal("no inference replica can use the TensorRT execution provider (it needs an NVIDIA GPU with TensorRT's libraries): no replica answered",
            TensorRtServing.Refusal([]));
    }

    [Fact]
    public void One_replica_with_the_tensorrt_provider_is_enough()
    {
        Assert.Null(TensorRtServing.Refusal([Replica("inference-1", ["CPUExecutionProvider"]),
            Replica("inference-2", ["CPUExecutionProvider", "CUDAExecutionProvider", "TensorrtExecutionProvider"])]));
    }

    private static ReplicaView Replica(string name, string[] providers) =>
        new(name, $"http://{name}", Reachable: true, Ready: true, Routed: true, QueueDepth: 0, [], null, providers);
}
