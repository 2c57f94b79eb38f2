extern alias gateway;

using System.Text.Json.Nodes;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
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
    public void The_config_is_the_parents_with_the_tensorrt_provider_its_precision_caches_and_profile_and_a_replica_loads_it(string precision, bool fp16, bool int8)
    {
        const string parent = """
            {"max_batch_size": 8, "dynamic_batching": {"max_queue_delay_us": 500}, "warmup": [1, 8],
             "warmup_shapes": [{"x": [3, 48, 192]}, {"x": [3, 48, 320]}], "execution_provider": "cuda", "cuda_graphs": true,
             "tensorrt": {"max_workspace_bytes": 1073741824}}
            """;

        var (derived, noProfile) = TensorRtServing.Config(parent, precision, Signature("[-1, 3, 48, -1]"));

        Assert.Null(noProfile);
        var json = JsonNode.Parse(derived)!;
        Assert.Equal("tensorrt", json["execution_provider"]!.GetValue<string>());
        Assert.Null(json["cuda_graphs"]);
        // The shared session's profile spans the warmup shapes, batch 1 to max_batch_size, tuned for the largest.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""
            {"max_workspace_bytes": 1073741824, "fp16": {{{(fp16 ? "true" : "false")}}}, "int8": {{{(int8 ? "true" : "false")}}}, "engine_cache": true, "timing_cache": true,
             "profile": {"min": {"x": [1, 3, 48, 192]}, "opt": {"x": [8, 3, 48, 320]}, "max": {"x": [8, 3, 48, 320]} } }
            """), json["tensorrt"]), json["tensorrt"]!.ToJsonString());
        // What shapes the prepared shapes' engines stays as it was.
        foreach (var kept in new[] { "max_batch_size", "dynamic_batching", "warmup", "warmup_shapes" })
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(parent)![kept], json[kept]), kept);
        }

        var loaded = ModelConfig.Parse(derived, "derived config.json");
        Assert.Equal((ExecutionProvider.TensorRT, fp16, int8, true, true, 1L << 30),
            (loaded.Provider, loaded.TensorRt!.Fp16, loaded.TensorRt.Int8, loaded.TensorRt.EngineCache, loaded.TensorRt.TimingCache, loaded.TensorRt.MaxWorkspaceBytes));
        var options = ProviderOptions.TensorRt(loaded, cacheFolder: null, TensorRtProfile.Spanning(loaded.TensorRt));
        Assert.Equal(("x:1x3x48x192", "x:8x3x48x320", "x:8x3x48x320"),
            (options["trt_profile_min_shapes"], options["trt_profile_opt_shapes"], options["trt_profile_max_shapes"]));
    }

    [Theory]
    [InlineData(SampleModels.TextRecognition, "[-1, 3, 48, -1]", 32, 320)]
    [InlineData(SampleModels.TextDirection, "[-1, 3, -1, -1]", 64, 192)]
    public void A_sample_models_profile_comes_from_its_fixed_input_dims_and_max_batch_size(string model, string signature, long maxBatch, long width)
    {
        var (derived, noProfile) = TensorRtServing.Config(SampleConfig(model), "fp16", Signature(signature));

        Assert.Null(noProfile);
        var profile = ModelConfig.Parse(derived, "derived config.json").TensorRt!.Profile!;
        Assert.Equal([1L, 3, 48, width], profile.Min["x"]);
        Assert.Equal([maxBatch, 3, 48, width], profile.Opt["x"]);
        Assert.Equal([maxBatch, 3, 48, width], profile.Max["x"]);
    }

    [Fact]
    public void A_model_whose_variable_dims_nothing_fixes_gets_no_profile_and_the_reason()
    {
        // The sample detector's config fixes no image size: TensorRT builds for the shapes it meets.
        var detector = SampleConfig(SampleModels.TextDetection);

        var (derived, noProfile) = TensorRtServing.Config(detector, "fp16", Signature("[-1, 3, -1, -1]"));

        Assert.Equal("input 'x' has variable dims that neither 'inputs' nor 'warmup_shapes' fixes", noProfile);
        var loaded = ModelConfig.Parse(derived, "derived config.json");
        Assert.Equal((ExecutionProvider.TensorRT, true, false, null), (loaded.Provider, loaded.TensorRt!.Fp16, loaded.TensorRt.Int8, loaded.TensorRt.Profile));
        Assert.Equal(ModelConfig.Parse(detector, "parent").MaxBatchSize, loaded.MaxBatchSize);
        Assert.Equal("the version has no validated signature naming its inputs", TensorRtServing.Config(detector, "fp16", null).NoProfile);
    }

    [Theory]
    [InlineData("""{"min": {"x": [1, 3]}, "opt": {"x": [4, 3]}, "max": {"x": [2, 3]}}""", "tensorrt.profile.x", "needs 1 ≤ min ≤ opt ≤ max in every dimension")]
    [InlineData("""{"min": {"x": [1, 3]}, "opt": {"x": [1, 3]}, "max": {"y": [1, 3]}}""", "tensorrt.profile", "'min', 'opt' and 'max' must name the same inputs, at least one")]
    [InlineData("""{"min": {"x": [1, 3]}, "opt": {"x": [1, 3, 1]}, "max": {"x": [1, 3]}}""", "tensorrt.profile.x", "'min', 'opt' and 'max' must have the same rank")]
    public void A_config_with_an_inconsistent_profile_is_refused_naming_it(string profile, string field, string problem)
    {
        var config = $$$"""{"execution_provider": "tensorrt", "tensorrt": {"profile": {{{profile}}}}}""";

        var refused = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(config, "config.json"));

        Assert.Equal($"config.json: '{field}' {problem}", refused.Message);
    }

    private static string SampleConfig(string model) => File.ReadAllText(Path.Combine(RepositoryPaths.Models, model, "config.json"));

    private static string Signature(string shape) => $$"""{"inputs": [{"name": "x", "datatype": "FP32", "shape": {{shape}}}], "outputs": []}""";

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
