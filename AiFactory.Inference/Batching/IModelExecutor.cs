using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Batching;

/// <summary>Runs requests on a model: one by one, or combined into batches.</summary>
public interface IModelExecutor
{
    Task<IReadOnlyList<Tensor>> ExecuteAsync(InferenceWork work, CancellationToken cancellationToken);
}
