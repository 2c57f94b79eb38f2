using System.Collections.Concurrent;

namespace AiFactory.Inference.Statistics;

/// <summary>
/// Counters of one model version, as the <c>statistics</c> extension reports them (Triton's names). Updated with
/// interlocked adds from every request and batch; read without locks.
/// </summary>
public sealed class ModelStatistics
{
    private long _inferenceCount;
    private long _executionCount;
    private long _lastInferenceMs;

    public Duration Success { get; } = new();
    public Duration Fail { get; } = new();
    public Duration Queue { get; } = new();
    public Duration ComputeInput { get; } = new();
    public Duration ComputeInfer { get; } = new();
    public Duration ComputeOutput { get; } = new();

    /// <summary>Executions by batch size, so the batch sizes the batcher achieves are visible.</summary>
    public ConcurrentDictionary<int, Duration> ComputeInferByBatchSize { get; } = new();

    /// <summary>Items inferred: a request of k items counts k.</summary>
    public long InferenceCount => Interlocked.Read(ref _inferenceCount);

    /// <summary>Model executions: one per batch.</summary>
    public long ExecutionCount => Interlocked.Read(ref _executionCount);

    public long LastInferenceMs => Interlocked.Read(ref _lastInferenceMs);

    /// <summary>Records one execution of <paramref name="batchSize"/> items.</summary>
    public void RecordExecution(int batchSize, long inputNs, long inferNs, long outputNs)
    {
        Interlocked.Increment(ref _executionCount);
        Interlocked.Add(ref _inferenceCount, batchSize);
        Interlocked.Exchange(ref _lastInferenceMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        ComputeInput.Add(inputNs);
        ComputeInfer.Add(inferNs);
        ComputeOutput.Add(outputNs);
        ComputeInferByBatchSize.GetOrAdd(batchSize, _ => new Duration()).Add(inferNs);
    }

    /// <summary>A count and the nanoseconds it took in total.</summary>
    public sealed class Duration
    {
        private long _count;
        private long _ns;

        public long Count => Interlocked.Read(ref _count);
        public long Ns => Interlocked.Read(ref _ns);

        public void Add(long ns)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _ns, ns);
        }
    }
}
