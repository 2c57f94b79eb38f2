using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;

namespace AiFactory.Tests.Inference.Runtime;

/// <summary>
/// What a model's config turns into once its provider is known, and the options ONNX Runtime's CUDA and TensorRT
/// providers would get: checked here, where those providers cannot load.
/// </summary>
public sealed class SessionPlanTests
{
    private static ModelConfig Batched(int[]? padded = null, bool? sessionPerShape = null, bool cudaGraphs = false) => new()
    {
        MaxBatchSize = 64,
        DynamicBatching = new DynamicBatchingConfig { PaddedBatchSizes = padded },
        SessionPerShape = sessionPerShape,
        CudaGraphs = cudaGraphs,
    };

    [Theory]
    [InlineData(SessionFactory.CudaProvider)]
    [InlineData(SessionFactory.TensorRtProvider)]
    public void On_a_gpu_batches_are_padded_to_powers_of_two_each_with_a_session_of_its_own(string provider)
    {
        var plan = SessionPlan.For(Batched(), provider);

        Assert.Equal([1, 2, 4, 8, 16, 32, 64], plan.Padding.Sizes);
        Assert.True(plan.SessionPerShape);
        Assert.False(plan.CudaGraphs);
        Assert.Null(plan.Ignored);
    }

    [Fact]
    public void On_the_cpu_batches_run_at_their_own_size_on_one_session()
    {
        var plan = SessionPlan.For(Batched(), SessionFactory.CpuProvider);

        Assert.Empty(plan.Padding.Sizes);
        Assert.False(plan.SessionPerShape);
    }

    [Fact]
    public void Configured_sizes_and_sessions_apply_on_any_provider()
    {
        var cpu = SessionPlan.For(Batched(padded: [8, 64], sessionPerShape: true), SessionFactory.CpuProvider);
        var cudaUnpadded = SessionPlan.For(Batched(padded: []), SessionFactory.CudaProvider);

        Assert.Equal([8, 64], cpu.Padding.Sizes);
        Assert.True(cpu.SessionPerShape);
        Assert.Empty(cudaUnpadded.Padding.Sizes);
    }

    [Fact]
    public void A_model_without_dynamic_batching_is_never_padded() =>
        Assert.Empty(SessionPlan.For(new ModelConfig { MaxBatchSize = 8 }, SessionFactory.CudaProvider).Padding.Sizes);

    [Fact]
    public void Cuda_graphs_are_captured_on_cuda_and_ignored_with_a_reason_on_the_cpu()
    {
        var cuda = SessionPlan.For(Batched(cudaGraphs: true), SessionFactory.CudaProvider);
        var cpu = SessionPlan.For(Batched(cudaGraphs: true), SessionFactory.CpuProvider);

        Assert.True(cuda.CudaGraphs);
        Assert.False(cpu.CudaGraphs);
        Assert.Equal("cuda_graphs is ignored: the model runs on CPUExecutionProvider", cpu.Ignored);
    }

    [Fact]
    public void The_cuda_provider_gets_the_convolution_search_and_the_graph_switch()
    {
        var config = new ModelConfig { CudnnConvAlgoSearch = "heuristic" };

        Assert.Equal(new Dictionary<string, string> { ["device_id"] = "0", ["cudnn_conv_algo_search"] = "HEURISTIC" },
            ProviderOptions.Cuda(config, cudaGraph: false));
        Assert.Equal("1", ProviderOptions.Cuda(config, cudaGraph: true)["enable_cuda_graph"]);
    }

    [Fact]
    public void Tensorrt_gets_its_caches_precision_workspace_and_one_exact_profile_per_prepared_shape()
    {
        var config = new ModelConfig
        {
            ExecutionProvider = "tensorrt",
            TensorRt = new TensorRtConfig { Fp16 = true, Int8 = true, MaxWorkspaceBytes = 1L << 30 },
        };
        TensorSpec[] inputs = [new("x", "FP32", [-1, 3, 48, 192]), new("mask", "INT64", [-1, 48])];

        var options = ProviderOptions.TensorRt(config, "/models/m/1/tensorrt-cache", TensorRtProfile.Exactly(inputs, [[8, 3, 48, 192], [8, 48]]));

        Assert.Equal(new Dictionary<string, string>
        {
            ["device_id"] = "0",
            ["trt_fp16_enable"] = "1",
            ["trt_int8_enable"] = "1",
            ["trt_max_workspace_size"] = "1073741824",
            ["trt_engine_cache_enable"] = "1",
            ["trt_engine_cache_path"] = "/models/m/1/tensorrt-cache",
            ["trt_timing_cache_enable"] = "1",
            ["trt_timing_cache_path"] = "/models/m/1/tensorrt-cache",
            ["trt_profile_min_shapes"] = "x:8x3x48x192,mask:8x48",
            ["trt_profile_opt_shapes"] = "x:8x3x48x192,mask:8x48",
            ["trt_profile_max_shapes"] = "x:8x3x48x192,mask:8x48",
        }, options);
    }

    [Fact]
    public void Tensorrt_without_a_writable_cache_folder_or_a_profile_sets_neither()
    {
        var options = ProviderOptions.TensorRt(new ModelConfig { ExecutionProvider = "tensorrt" }, cacheFolder: null, profile: null);

        Assert.Equal(new Dictionary<string, string> { ["device_id"] = "0", ["trt_fp16_enable"] = "0", ["trt_int8_enable"] = "0" }, options);
    }
}
