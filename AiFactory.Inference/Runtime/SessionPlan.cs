using AiFactory.Inference.Batching;
using AiFactory.Inference.Repository;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// How a model version runs once its execution provider is known: the batch sizes batches are padded to, whether
/// each prepared shape gets a session of its own, and whether those run as CUDA graphs. The config's choices, with
/// the provider's defaults for what it leaves open.
/// </summary>
/// <param name="Ignored">A setting the provider cannot honour (cuda_graphs on the CPU), to log; null when none.</param>
public sealed record SessionPlan(BatchPadding Padding, bool SessionPerShape, bool CudaGraphs, string? Ignored)
{
    public static SessionPlan For(ModelConfig config, string provider)
    {
        var gpu = provider is SessionFactory.CudaProvider or SessionFactory.TensorRtProvider;
        var padding = config is { BatchingEnabled: true, DynamicBatching: var batching }
            ? new BatchPadding(batching!.PaddedBatchSizes ?? (gpu ? BatchPadding.PowersOfTwo(config.MaxBatchSize) : []))
            : BatchPadding.None;
        var cudaGraphs = config.CudaGraphs && provider == SessionFactory.CudaProvider;
        var ignored = config.CudaGraphs && !cudaGraphs ? $"cuda_graphs is ignored: the model runs on {provider}" : null;
        return new SessionPlan(padding, config.SessionPerShape ?? gpu, cudaGraphs, ignored);
    }
}
