namespace AiFactory.Benchmarks;

/// <summary>
/// Session options applied alike to the in-process limits and to the served models, so each served figure is
/// measured against a limit with the same options.
/// </summary>
/// <param name="IntraOpThreads">ONNX Runtime threads per run; 0 = its default (one per core).</param>
/// <param name="Instances">The batched model's <c>instance_count</c>: batches run at once.</param>
/// <param name="Provider">
/// The <c>execution_provider</c> written into every model config (<c>cpu</c>, <c>cuda</c>, …); null leaves it out, so
/// the config's default (<c>auto</c>) applies. An explicit provider that cannot load is an error, not a fallback.
/// </param>
/// <param name="CudnnConvAlgoSearch">
/// The <c>cudnn_conv_algo_search</c> written into every model config (<c>heuristic</c>, <c>exhaustive</c>,
/// <c>default</c>); null leaves it out, so the config's default (<c>exhaustive</c>) applies.
/// </param>
/// <param name="Protocols">The protocols the served rows use (JSON, binary, gRPC); null for all three.</param>
/// <param name="CudaGraphs">The padded model captures a CUDA graph per padded size (<c>cuda_graphs</c>; CUDA only).</param>
public sealed record BenchmarkSettings(int IntraOpThreads, int Instances, string? Provider = null, string? CudnnConvAlgoSearch = null,
    IReadOnlyList<string>? Protocols = null, bool CudaGraphs = false)
{
    /// <summary>The config fields for these options, to splice into a model's <c>config.json</c>.</summary>
    public string ConfigFields(bool batched) =>
        $"\"intra_op_threads\": {IntraOpThreads}"
        + (batched ? $", \"instance_count\": {Instances}" : "")
        + (Provider is null ? "" : $", \"execution_provider\": \"{Provider}\"")
        + (CudnnConvAlgoSearch is null ? "" : $", \"cudnn_conv_algo_search\": \"{CudnnConvAlgoSearch}\"");

    public override string ToString() =>
        $"intra_op_threads {(IntraOpThreads == 0 ? "default (one per core)" : IntraOpThreads)}, instance_count {Instances} when batching" +
        (Provider is null ? "" : $", execution_provider {Provider}") +
        (CudnnConvAlgoSearch is null ? "" : $", cudnn_conv_algo_search {CudnnConvAlgoSearch}") +
        (CudaGraphs ? ", cuda_graphs on the padded model" : "");
}
