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
/// <remarks>
/// ONNX Runtime reads a request's inputs where they lie, in the request's own (pooled) buffer, and runs on the
/// version's session, which the caller's lease keeps alive. So a request taken into a batch is answered only when
/// the execution has ended: a timeout or a cancellation removes a request while it is queued and no later.
/// </remarks>
public sealed class DynamicBatcher : IModelExecutor, IAsyncDisposable
{
    private readonly LoadedModel _model;
    private readonly int _maxBatchSize;
    private readonly DynamicBatchingConfig _config;
    private readonly TimeSpan _maxDelay;
    private readonly Channel<PendingRequest> _arrivals = Channel.CreateUnbounded<PendingRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly int _instanceCount;
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
        _instanceCount = instanceCount;
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
                List<PendingRequest>? batch = null;
                try
                {
                    if (await FillAsync(queue, stopping))
                    {
                        batch = await FormBatchAsync(queue, stopping);
                    }
                }
                finally
                {
                    if (batch is not { Count: > 0 })
                    {
                        _freeInstances.Release();
                    }
                }

                if (batch is null)
                {
                    return;
                }

                if (batch.Count > 0)
                {
                    // The batch holds its instance until its execution ends (see Execute); DisposeAsync waits for that.
                    _ = Task.Run(() => Execute(batch));
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            Drain(queue);
            foreach (var pending in queue)
            {
                Dequeued(pending);
                pending.Abandon(InferenceException.Unavailable($"model '{_model.Name}' version {_model.Version} was unloaded"));
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
            if (!oldest.IsQueued)
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

    /// <summary>
    /// Takes the fitting requests out of the queue. A request whose timeout or cancellation won the race since it was
    /// counted in has been answered already and stays out of the batch.
    /// </summary>
    private List<PendingRequest> TakeBatch(List<PendingRequest> queue, string signature)
    {
        var batch = new List<PendingRequest>();
        foreach (var pending in Fitting(queue, signature).ToList())
        {
            Dequeued(pending);
            queue.Remove(pending);
            if (pending.TryTake())
            {
                batch.Add(pending);
            }
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
            if (pending.Work.Signature == signature && pending.IsQueued && items + pending.Work.BatchSize <= _maxBatchSize)
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
            if (pending.IsQueued)
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

    /// <summary>
    /// Runs a batch, frees its instance and buffers, and only then answers its callers: until a caller has its answer,
    /// its request buffer and its lease on the version stay with it, so ONNX Runtime never reads memory that has
    /// gone back to the pool or a session that has been freed.
    /// </summary>
    private void Execute(List<PendingRequest> batch)
    {
        IReadOnlyList<Tensor>[]? answers = null;
        Exception? failure = null;
        var rented = new List<byte[]>();
        try
        {
            answers = Run(batch, rented);
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            foreach (var buffer in rented)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            _freeInstances.Release();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Answer(answers?[i], failure);
        }
    }

    /// <summary>Runs the batch; returns each request's outputs, in batch order.</summary>
    private IReadOnlyList<Tensor>[] Run(List<PendingRequest> batch, List<byte[]> rented)
    {
        var items = batch.Sum(pending => pending.Work.BatchSize);
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<Tensor> inputs = batch[0].Work.Inputs;
        if (batch.Count > 1)
        {
            inputs = Concatenate(batch, items, rented);
        }

        var joined = RunTimings.Nanoseconds(started, Stopwatch.GetTimestamp());
        var outputs = _model.Run(inputs, batch[0].Work.OutputNames, out var timings);
        _model.RecordExecution(items, timings.WithInput(joined));
        if (batch.Count == 1)
        {
            return [outputs];
        }

        // Slices are copies: the callers' answers do not depend on the batch's buffers.
        var answers = new IReadOnlyList<Tensor>[batch.Count];
        var offset = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            answers[i] = TensorBatches.Slice(outputs, offset, batch[i].Work.BatchSize, items);
            offset += batch[i].Work.BatchSize;
        }

        return answers;
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

    /// <summary>
    /// Stops taking requests, answers those still queued with 503 and waits for the executions still running, so the
    /// session can be freed once this returns.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _arrivals.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _dispatcher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Every execution holds an instance until it ends: once all of them are back, none is running.
        for (var i = 0; i < _instanceCount; i++)
        {
            await _freeInstances.WaitAsync();
        }

        _stopping.Dispose();
    }

    /// <summary>
    /// A queued request: its work, when it arrived, and the answer its caller awaits. It leaves the queue once, either
    /// taken into a batch (then only the execution answers it) or abandoned (its timeout, its cancellation, unloading).
    /// </summary>
    private sealed class PendingRequest
    {
        private const int Queued = 0, Taken = 1, Abandoned = 2;
        private int _state;
        private int _dequeued;

        public PendingRequest(InferenceWork work, CancellationToken cancellationToken)
        {
            Work = work;
            if (work.Timeout is { } timeout)
            {
                var timer = new CancellationTokenSource(timeout);
                timer.Token.Register(() => Abandon(InferenceException.Unavailable(
                    $"the request waited longer than its timeout ({timeout.TotalMicroseconds:0} µs) in the queue")));
                Completion.Task.ContinueWith(_ => timer.Dispose(), TaskScheduler.Default);
            }

            if (cancellationToken.CanBeCanceled)
            {
                var registration = cancellationToken.Register(() => Abandon(new OperationCanceledException(cancellationToken)));
                Completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
            }
        }

        public InferenceWork Work { get; }

        public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

        public TaskCompletionSource<IReadOnlyList<Tensor>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Still waiting for a batch: neither taken nor abandoned.</summary>
        public bool IsQueued => Volatile.Read(ref _state) == Queued;

        public TimeSpan Waited() => Stopwatch.GetElapsedTime(EnqueuedAt);

        /// <summary>True the first time only, so a request leaves the queue's count once.</summary>
        public bool MarkDequeued() => Interlocked.Exchange(ref _dequeued, 1) == 0;

        /// <summary>Claims the request for a batch; false when it was abandoned first.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        /// <summary>Answers a request that is still queued with <paramref name="reason"/>; one taken into a batch is left to its execution.</summary>
        public void Abandon(Exception reason)
        {
            if (Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued)
            {
                if (reason is OperationCanceledException cancelled)
                {
                    Completion.TrySetCanceled(cancelled.CancellationToken);
                }
                else
                {
                    Completion.TrySetException(reason);
                }
            }
        }

        /// <summary>The execution's answer: the outputs, or the failure of the whole batch.</summary>
        public void Answer(IReadOnlyList<Tensor>? outputs, Exception? failure)
        {
            if (failure is null)
            {
                Completion.TrySetResult(outputs!);
            }
            else
            {
                Completion.TrySetException(failure);
            }
        }
    }
}
