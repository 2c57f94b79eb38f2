using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using AiFactory.Inference.Batching;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AiFactory.Tests.Inference.Runtime;

/// <summary>
/// A version's sessions with padded batch sizes: every padded size is warmed at load on the session that serves it,
/// a padded batch runs on that session, and statistics and metrics count the real items, never the padding.
/// </summary>
public sealed class PaddedSessionsTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly ModelSignature Signature = new([new TensorSpec("x", "FP32", [-1, 2])], [new TensorSpec("y", "FP32", [-1, 2])]);

    private readonly string _directory = Directory.CreateTempSubdirectory("aifactory-padded-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public void Warmup_runs_every_padded_size_once_on_its_own_session_and_the_configured_sizes_on_the_shared_one()
    {
        var config = Config(sessionPerShape: true);
        var plan = SessionPlan.For(config, SessionFactory.CpuProvider);
        var prepared = PreparedShapes.For(Signature, config, plan.Padding);
        var shared = new RecordingRunner();
        var own = prepared.ToDictionary(shape => PreparedShapes.Key(Signature.Inputs, shape), _ => new RecordingRunner());
        var model = new LoadedModel("m", "1", new ModelSessions(shared, SessionFactory.CpuProvider, Signature, plan, prepared,
            own.ToDictionary(pair => pair.Key, pair => (ISessionRunner)pair.Value)), config, Metrics(), NullLogger.Instance, new FakeTimeProvider());

        Warmup.Run(model);

        Assert.Equal(["x:1,2;", "x:2,2;", "x:4,2;", "x:8,2;"], own.Keys);
        foreach (var (key, runner) in own)
        {
            Assert.Equal(key, PreparedShapes.Key(Assert.Single(runner.Runs)));
        }

        Assert.Equal("x:3,2;", PreparedShapes.Key(Assert.Single(shared.Runs)));
        model.Retire();
    }

    [Fact]
    public async Task A_batch_of_five_runs_padded_to_eight_on_onnx_runtime_and_is_counted_as_five_items()
    {
        var metrics = Metrics();
        var counted = Listen(metrics);
        var sessions = Open(Config(sessionPerShape: true, preferred: 5), NullLogger<SessionFactory>.Instance);
        var model = new LoadedModel("identity", "1", sessions, Config(sessionPerShape: true, preferred: 5), metrics, NullLogger.Instance, new FakeTimeProvider());
        Warmup.Run(model);

        // The clock never moves: the batch closes when it reaches its preferred size of 5.
        var calls = new[] { (Id: 1, Items: 2), (Id: 2, Items: 2), (Id: 3, Items: 1) }
            .Select(call => (call.Id, call.Items, Task: model.Executor.ExecuteAsync(Work(call.Id, call.Items), CancellationToken.None)))
            .ToList();

        foreach (var (id, items, task) in calls)
        {
            var output = Assert.Single(await task.WaitAsync(Deadline));
            Assert.Equal([items, 2L], output.Shape);
            Assert.Equal(Rows(id, items), MemoryMarshal.Cast<byte, float>(output.Data.Span).ToArray());
        }

        Assert.Equal(4, sessions.SessionsOfTheirOwn);
        Assert.Equal(5, model.Statistics.InferenceCount);
        Assert.Equal(1, model.Statistics.ExecutionCount);
        Assert.Equal([5], model.Statistics.ComputeInferByBatchSize.Keys);
        Assert.Equal(5, counted("aifactory.inference.items"));
        Assert.Equal(3, counted("aifactory.inference.batch.padding"));
        model.Retire();
    }

    /// <summary>
    /// <c>cuda_graphs</c> with <c>auto</c>: on a machine with CUDA each padded size is captured as a graph and answers
    /// as the plain session does; where CUDA does not load (the build machine) the model serves on the CPU and the log
    /// says why the graphs are not used.
    /// </summary>
    [Fact]
    public async Task Cuda_graphs_are_captured_where_cuda_loads_and_ignored_with_the_reason_logged_where_it_does_not()
    {
        var config = Config(sessionPerShape: null, preferred: 3);
        config.CudaGraphs = true;
        var log = new RecordingLoggerProvider();
        var sessions = Open(config, log.CreateLogger("SessionFactory"));
        var model = new LoadedModel("identity", "1", sessions, config, Metrics(), NullLogger.Instance, new FakeTimeProvider());
        Warmup.Run(model);

        var output = Assert.Single(await model.Executor.ExecuteAsync(Work(7, 3), CancellationToken.None).WaitAsync(Deadline));

        Assert.Equal(Rows(7, 3), MemoryMarshal.Cast<byte, float>(output.Data.Span).ToArray());
        if (sessions.Provider == SessionFactory.CpuProvider)
        {
            Assert.False(sessions.Plan.CudaGraphs);
            Assert.Contains(log.Lines, line => line.Contains("Warning SessionFactory: Model identity version 1: cuda_graphs is ignored: the model runs on CPUExecutionProvider"));
        }
        else
        {
            Assert.True(sessions.Plan.CudaGraphs);
            Assert.Equal(4, sessions.SessionsOfTheirOwn);
        }

        model.Retire();
    }

    private ModelConfig Config(bool? sessionPerShape, int preferred = 0) => new()
    {
        MaxBatchSize = 8,
        DynamicBatching = new DynamicBatchingConfig
        {
            MaxQueueDelayUs = 1_000_000,
            PaddedBatchSizes = [1, 2, 4, 8],
            PreferredBatchSizes = preferred > 0 ? [preferred] : [],
        },
        Inputs = [new InputConfig { Name = "in_fp32", Dims = [2] }],
        Warmup = [3],
        SessionPerShape = sessionPerShape,
    };

    private ModelSessions Open(ModelConfig config, ILogger logger)
    {
        var path = Path.Combine(_directory, "model.onnx");
        File.WriteAllBytes(path, OnnxModelWriter.Identity("FP32"));
        return new SessionFactory(new LoggerAdapter(logger)).Open(path, config, "identity", "1");
    }

    private InferenceMetrics Metrics() => new(_services.GetRequiredService<IMeterFactory>());

    /// <summary>Sums what this metrics instance's counters record, by instrument name.</summary>
    private static Func<string, long> Listen(InferenceMetrics metrics)
    {
        var sums = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        listener.Start();
        return name => sums.GetValueOrDefault(name);
    }

    private static InferenceWork Work(int id, int items)
    {
        var values = Rows(id, items);
        return new InferenceWork([new Tensor("in_fp32", "FP32", [items, 2], MemoryMarshal.AsBytes(values.AsSpan()).ToArray())], ["out_fp32"], items, null);
    }

    private static float[] Rows(int id, int items) => [.. Enumerable.Range(0, items * 2).Select(i => id * 100f + i + 1)];

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Answers with its input and records the shapes it ran.</summary>
    private sealed class RecordingRunner : ISessionRunner
    {
        public List<IReadOnlyList<Tensor>> Runs { get; } = [];

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings)
        {
            Runs.Add(inputs);
            timings = default;
            return [inputs[0] with { Name = "y" }];
        }

        public void Dispose()
        {
        }
    }

    private sealed class LoggerAdapter(ILogger logger) : ILogger<SessionFactory>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logger.BeginScope(state);
        public bool IsEnabled(LogLevel logLevel) => logger.IsEnabled(logLevel);
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logger.Log(logLevel, eventId, state, exception, formatter);
    }
}
