using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Batching;

/// <summary>
/// Triton-style dynamic batching for one model version. A batch is formed when an execution instance is free:
/// it takes the oldest request and every later one with the same signature that still fits, up to
/// <c>max_batch_size</c> items, waiting at most <c>max_queue_delay_us</c> from the oldest request's arrival for
/// more to join (or until a preferred batch size is reached). Requests carrying k items count as k and are never
/// split. Inputs are concatenated along the first dimension and outputs split back.
/// </summary>
public sealed class DynamicBatcher : IModelExecutor, IAsyncDisposable
{
    private readonly LoadedModel _model;
    private readonly int _maxBatchSize;
    private readonly DynamicBatchingConfig _config;
    private readonly TimeSpan _maxDelay;
    private readonly Channel<PendingRequest> _arrivals = Channel.CreateUnbounded<PendingRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _freeInstances;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _dispatcher;
    private readonly QueueLimits _limits;

    public DynamicBatcher(LoadedModel model, int maxBatchSize, DynamicBatchingConfig config, int instanceCount)
    {
        _model = model;
        _maxBatchSize = maxBatchSize;
        _config = config;
        _maxDelay = TimeSpan.FromMicroseconds(config.MaxQueueDelayUs);
        _freeInstances = new SemaphoreSlim(instanceCount, instanceCount);
        _limits = new QueueLimits(model.Name, model.Version, config.MaxQueueSize, config.MaxQueueBytes);
        _dispatcher = Task.Run(DispatchAsync);
    }

    public Task<IReadOnlyList<Tensor>> ExecuteAsync(InferenceWork work, CancellationToken cancellationToken)
    {
        if (work.BatchSize > _maxBatchSize)
        {
            throw InferenceException.BadRequest(
                $"the request holds {work.BatchSize} items, more than max_batch_size ({_maxBatchSize}) of model '{_model.Name}'");
        }

        if (_dispatcher.IsCompleted)
        {
            // Never queue work nobody will take: the dispatcher only ends when the version is unloaded.
            throw InferenceException.Unavailable($"model '{_model.Name}' version {_model.Version} is unloading");
        }

        _limits.Enter(work.BatchSize, work.Bytes);
        _model.Metrics.AddQueueDepth(_model.Name, _model.Version, work.BatchSize);
        var pending = new PendingRequest(work, cancellationToken);
        if (!_arrivals.Writer.TryWrite(pending))
        {
            Dequeued(pending);
            throw InferenceException.Unavailable($"model '{_model.Name}' version {_model.Version} is unloading");
        }

        return pending.Completion.Task;
    }

    private async Task DispatchAsync()
    {
        var queue = new List<PendingRequest>();
        var stopping = _stopping.Token;
        try
        {
            while (true)
            {
                await _freeInstances.WaitAsync(stopping);
                if (!await FillAsync(queue, stopping))
                {
                    return;
                }

                var batch = await FormBatchAsync(queue, stopping);
                _ = Task.Run(() => Execute(batch));
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var pending in queue)
            {
                pending.Completion.TrySetException(InferenceException.Unavailable($"model '{_model.Name}' version {_model.Version} was unloaded"));
            }
        }
    }

    /// <summary>Waits until at least one live request is queued; false once the batcher is closed and drained.</summary>
    private async Task<bool> FillAsync(List<PendingRequest> queue, CancellationToken stopping)
    {
        while (true)
        {
            Drain(queue);
            if (queue.Count > 0)
            {
                return true;
            }

            if (!await _arrivals.Reader.WaitToReadAsync(stopping))
            {
                return false;
            }
        }
    }

    private async Task<List<PendingRequest>> FormBatchAsync(List<PendingRequest> queue, CancellationToken stopping)
    {
        var oldest = queue[0];
        var deadline = oldest.EnqueuedAt + Stopwatch.Frequency * _maxDelay.Ticks / TimeSpan.TicksPerSecond;
        while (true)
        {
            var items = CountFitting(queue, oldest.Work.Signature);
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (items >= _maxBatchSize || remaining <= TimeSpan.Zero || Array.IndexOf(_config.PreferredBatchSizes, items) >= 0)
            {
                break;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            wait.CancelAfter(remaining);
            try
            {
                if (!await _arrivals.Reader.WaitToReadAsync(wait.Token))
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                break;
            }

            Drain(queue);
            if (oldest.Completion.Task.IsCompleted)
            {
                // The oldest request timed out or was cancelled while we waited: start over from the next one,
                // or hand back an empty batch (which only frees the instance) when none is left.
                var rest = RemoveFinished(queue);
                return rest.Count == 0 ? [] : await FormBatchAsync(rest, stopping);
            }
        }

        return TakeBatch(queue, oldest.Work.Signature);
    }

    private int CountFitting(List<PendingRequest> queue, string signature) =>
        Fitting(queue, signature).Sum(pending => pending.Work.BatchSize);

    private List<PendingRequest> TakeBatch(List<PendingRequest> queue, string signature)
    {
        var batch = Fitting(queue, signature).ToList();
        foreach (var pending in batch)
        {
            Dequeued(pending);
            queue.Remove(pending);
        }

        return batch;
    }

    /// <summary>
    /// The batch the queue holds now: in arrival order, live requests with the signature that still fit in
    /// <c>max_batch_size</c> (a request that does not fit waits for the next batch; later, smaller ones may join).
    /// </summary>
    private IEnumerable<PendingRequest> Fitting(List<PendingRequest> queue, string signature)
    {
        var items = 0;
        foreach (var pending in queue)
        {
            if (pending.Work.Signature == signature && !pending.Completion.Task.IsCompleted && items + pending.Work.BatchSize <= _maxBatchSize)
            {
                items += pending.Work.BatchSize;
                yield return pending;
            }
        }
    }

    private void Drain(List<PendingRequest> queue)
    {
        while (_arrivals.Reader.TryRead(out var pending))
        {
            queue.Add(pending);
        }

        RemoveFinished(queue);
    }

    private List<PendingRequest> RemoveFinished(List<PendingRequest> queue)
    {
        queue.RemoveAll(pending =>
        {
            if (!pending.Completion.Task.IsCompleted)
            {
                return false;
            }

            Dequeued(pending);
            return true;
        });
        return queue;
    }

    private void Dequeued(PendingRequest pending)
    {
        if (pending.MarkDequeued())
        {
            _limits.Leave(pending.Work.BatchSize, pending.Work.Bytes);
            _model.Metrics.AddQueueDepth(_model.Name, _model.Version, -pending.Work.BatchSize);
            _model.Statistics.Queue.Add(pending.Waited().Ticks * 100);
            _model.Metrics.RecordQueued(_model.Name, _model.Version, pending.Waited().TotalSeconds);
        }
    }

    private void Execute(List<PendingRequest> batch)
    {
        var rented = new List<byte[]>();
        try
        {
            if (batch.Count == 0)
            {
                return;
            }

            var items = batch.Sum(pending => pending.Work.BatchSize);
            var started = Stopwatch.GetTimestamp();
            IReadOnlyList<Tensor> inputs = batch[0].Work.Inputs;
            if (batch.Count > 1)
            {
                inputs = Concatenate(batch, items, rented);
            }

            var joined = Stopwatch.GetTimestamp() - started;
            var outputs = _model.Run(inputs, batch[0].Work.OutputNames, out var timings);
            _model.RecordExecution(items, timings.WithInput(joined * 1_000_000_000 / Stopwatch.Frequency));
            if (batch.Count == 1)
            {
                batch[0].Completion.TrySetResult(outputs);
                return;
            }

            var offset = 0;
            foreach (var pending in batch)
            {
                pending.Completion.TrySetResult(TensorBatches.Slice(outputs, offset, pending.Work.BatchSize, items));
                offset += pending.Work.BatchSize;
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(e);
            }
        }
        finally
        {
            foreach (var buffer in rented)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            _freeInstances.Release();
        }
    }

    /// <summary>Joins each input of the batch into a pooled buffer (batches of images are megabytes each).</summary>
    private static Tensor[] Concatenate(List<PendingRequest> batch, int items, List<byte[]> rented)
    {
        var first = batch[0].Work.Inputs;
        var inputs = new Tensor[first.Count];
        for (var i = 0; i < first.Count; i++)
        {
            var parts = batch.Select(pending => pending.Work.Inputs[i]).ToList();
            var buffer = ArrayPool<byte>.Shared.Rent(parts.Sum(part => part.Data.Length));
            rented.Add(buffer);
            inputs[i] = TensorBatches.Concatenate(parts, items, buffer);
        }

        return inputs;
    }

    /// <summary>Stops taking requests; those still queued are answered with 503.</summary>
    public async ValueTask DisposeAsync()
    {
        _arrivals.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _dispatcher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    /// <summary>A queued request: its work, when it arrived, and the answer its caller awaits.</summary>
    private sealed class PendingRequest
    {
        private int _dequeued;

        public PendingRequest(InferenceWork work, CancellationToken cancellationToken)
        {
            Work = work;
            if (work.Timeout is { } timeout)
            {
                var timer = new CancellationTokenSource(timeout);
                timer.Token.Register(() => Completion.TrySetException(InferenceException.Unavailable(
                    $"the request waited longer than its timeout ({timeout.TotalMicroseconds:0} µs) in the queue")));
                Completion.Task.ContinueWith(_ => timer.Dispose(), TaskScheduler.Default);
            }

            if (cancellationToken.CanBeCanceled)
            {
                var registration = cancellationToken.Register(() => Completion.TrySetCanceled(cancellationToken));
                Completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
            }
        }

        public InferenceWork Work { get; }

        public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

        public TaskCompletionSource<IReadOnlyList<Tensor>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TimeSpan Waited() => Stopwatch.GetElapsedTime(EnqueuedAt);

        /// <summary>True the first time only, so a request leaves the queue's count once.</summary>
        public bool MarkDequeued() => Interlocked.Exchange(ref _dequeued, 1) == 0;
    }
}
