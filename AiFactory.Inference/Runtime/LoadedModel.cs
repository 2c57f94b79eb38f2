using AiFactory.Inference.Batching;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Statistics;
using AiFactory.Inference.Telemetry;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// One version of a model: its ONNX Runtime sessions (<see cref="ModelSessions"/>), its executor (direct or dynamic
/// batching) and its statistics. Reference-counted, so a version being replaced or unloaded finishes the requests it
/// holds before its sessions are released. The executor reaches ONNX Runtime through <see cref="IModelRunner"/>.
/// </summary>
public sealed class LoadedModel : IModelRunner
{
    private readonly ModelSessions _sessions;
    private readonly ILogger _logger;
    private int _leases = 1;

    /// <summary>A version served by one session opened elsewhere (see <see cref="ModelSessions.Single"/>).</summary>
    public LoadedModel(string name, string version, InferenceSession session, string provider, ModelConfig config, InferenceMetrics metrics, ILogger logger)
        : this(name, version, ModelSessions.Single(session, provider, config, name, version), config, metrics, logger, TimeProvider.System)
    {
    }

    public LoadedModel(string name, string version, ModelSessions sessions, ModelConfig config, InferenceMetrics metrics, ILogger logger, TimeProvider time)
    {
        _sessions = sessions;
        _logger = logger;
        Name = name;
        Version = version;
        Config = config;
        Metrics = metrics;
        Executor = config.BatchingEnabled
            ? new DynamicBatcher(this, config.MaxBatchSize, config.DynamicBatching!, config.InstanceCount ?? 1, sessions.Plan.Padding, time)
            : new DirectExecutor(this, config.InstanceCount);
    }

    public string Name { get; }
    public string Version { get; }

    /// <summary>The execution provider the sessions run on, e.g. <c>CPUExecutionProvider</c>.</summary>
    public string Provider => _sessions.Provider;

    public ModelConfig Config { get; }

    public InferenceMetrics Metrics { get; }

    public ModelStatistics Statistics { get; } = new();

    public IModelExecutor Executor { get; }

    /// <summary>The sessions, their plan (padding, a session per shape, CUDA graphs) and the shapes prepared at load.</summary>
    public ModelSessions Sessions => _sessions;

    /// <summary>Inputs as requests must send them: the ONNX metadata, narrowed by <c>config.json</c>'s dims.</summary>
    public IReadOnlyList<TensorSpec> Inputs => _sessions.Signature.Inputs;

    public IReadOnlyList<TensorSpec> Outputs => _sessions.Signature.Outputs;

    /// <summary>Takes a lease for one request; false once the model has been released.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var leases = Volatile.Read(ref _leases);
            if (leases == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _leases, leases + 1, leases) == leases)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Returns a lease. Whoever returns the last one (a request, or the repository, see <see cref="Retire"/>) frees the
    /// sessions: a request's lease lasts until its answer, which comes only after the execution that computed it.
    /// </summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0)
        {
            _ = FreeAsync();
        }
    }

    /// <summary>Stops the executor, waits for the executions it still runs, then frees the sessions.</summary>
    private async Task FreeAsync()
    {
        try
        {
            if (Executor is IAsyncDisposable executor)
            {
                await executor.DisposeAsync();
            }

            _sessions.Dispose();
            _logger.LogInformation("Model {Model} version {Version} freed its session after its last execution ({Executions} in all)",
                Name, Version, Statistics.ExecutionCount);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Model {Model} version {Version}: freeing its session failed", Name, Version);
        }
    }

    /// <summary>The repository lets go of this version; it is freed once its requests have finished.</summary>
    public void Retire() => Release();

    public void RecordExecution(int items, int executedItems, RunTimings timings)
    {
        Statistics.RecordExecution(items, timings.InputNs, timings.InferNs, timings.OutputNs);
        Metrics.RecordExecution(Name, Version, Provider, items, executedItems - items, (timings.InputNs + timings.InferNs + timings.OutputNs) / 1e9);
    }

    public void RecordQueueDepth(int items) => Metrics.AddQueueDepth(Name, Version, items);

    public void RecordQueueWait(TimeSpan waited)
    {
        Statistics.Queue.Add(waited.Ticks * 100);
        Metrics.RecordQueued(Name, Version, waited.TotalSeconds);
    }

    /// <summary>Runs the model without recording it (warmup).</summary>
    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames) =>
        Run(inputs, outputNames, out _);

    /// <summary>
    /// Runs the model on the session for the inputs' shape and times its three phases. Inputs must already be
    /// validated against <see cref="Inputs"/>.
    /// </summary>
    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings) =>
        _sessions.Run(inputs, outputNames, out timings);
}
