using System.Threading.Channels;
using AiFactory.Inference.Runtime;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// A model for the batcher's tests, without ONNX Runtime: it records every batch it is given and answers with its
/// input (output <c>y</c> = input <c>x</c>), so each caller can see exactly which rows came back to it. Runs can be
/// held at a gate, which keeps the batcher's one instance busy while a test queues more requests.
/// </summary>
public sealed class FakeModelRunner : IModelRunner
{
    private readonly Channel<Execution> _executions = Channel.CreateUnbounded<Execution>();
    private TaskCompletionSource? _gate;
    private long _queuedItems;

    public string Name => "fake";
    public string Version => "1";

    /// <summary>Items the runner was told are queued now.</summary>
    public long QueuedItems => Interlocked.Read(ref _queuedItems);

    /// <summary>Every execution recorded so far, as <see cref="IModelRunner.RecordExecution"/> reported it.</summary>
    public List<(int Items, int ExecutedItems)> Recorded { get; } = [];

    /// <summary>Queue waits reported, one per request that left the queue.</summary>
    public List<TimeSpan> QueueWaits { get; } = [];

    /// <summary>Holds every run from now on until <see cref="Open"/>.</summary>
    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => Interlocked.Exchange(ref _gate, null)?.SetResult();

    /// <summary>The next execution the batcher started (it may be held at the gate).</summary>
    public async Task<Execution> NextAsync() => await _executions.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>True when no execution has started that a test has not taken with <see cref="NextAsync"/>.</summary>
    public bool NoneStarted => !_executions.Reader.TryPeek(out _);

    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings)
    {
        var input = inputs.Single();
        // The batch's buffers go back to the pool after the run: keep a copy.
        var execution = new Execution(input.Shape, input.Data.ToArray());
        _executions.Writer.TryWrite(execution);
        _gate?.Task.Wait(TimeSpan.FromSeconds(30));
        timings = new RunTimings(1, 2, 3);
        return [new Tensor("y", input.Datatype, input.Shape, input.Data.ToArray())];
    }

    public void RecordExecution(int items, int executedItems, RunTimings timings)
    {
        lock (Recorded)
        {
            Recorded.Add((items, executedItems));
        }
    }

    public void RecordQueueDepth(int items) => Interlocked.Add(ref _queuedItems, items);

    public void RecordQueueWait(TimeSpan waited)
    {
        lock (QueueWaits)
        {
            QueueWaits.Add(waited);
        }
    }

    /// <summary>One batch as the model got it: its shape and its bytes (padding included).</summary>
    public sealed record Execution(long[] Shape, byte[] Data)
    {
        public long Items => Shape[0];
    }
}
