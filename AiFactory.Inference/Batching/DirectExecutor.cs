using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Batching;

/// <summary>
/// Runs each request as it comes. ONNX Runtime sessions are thread-safe, so concurrency is unbounded unless the
/// model's <c>instance_count</c> sets a limit.
/// </summary>
public sealed class DirectExecutor(LoadedModel model, int? instanceCount) : IModelExecutor
{
    private readonly SemaphoreSlim? _instances = instanceCount is { } count ? new SemaphoreSlim(count, count) : null;

    public async Task<IReadOnlyList<Tensor>> ExecuteAsync(InferenceWork work, CancellationToken cancellationToken)
    {
        if (_instances is not null)
        {
            await _instances.WaitAsync(cancellationToken);
        }

        try
        {
            var outputs = model.Run(work.Inputs, work.OutputNames, out var timings);
            model.RecordExecution(work.BatchSize, timings);
            return outputs;
        }
        finally
        {
            _instances?.Release();
        }
    }
}
