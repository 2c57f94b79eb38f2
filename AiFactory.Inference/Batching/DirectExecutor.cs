using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Batching;

/// <summary>
/// Runs each request as it comes. ONNX Runtime sessions are thread-safe, so concurrency is unbounded unless the
/// model's <c>instance_count</c> sets a limit.
/// </summary>
/// <remarks>
/// The run happens inside the caller's own call, so the caller cannot return (and give its request buffer back to
/// the pool, or its lease on the session) while ONNX Runtime still reads them; cancellation only ends the wait for a
/// free instance.
/// </remarks>
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
