using System.Buffers;
using System.Diagnostics;
using AiFactory.Inference.Batching;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Statistics;
using AiFactory.Inference.Telemetry;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// One version of a model: its ONNX Runtime session (safe to run from many threads at once), its executor
/// (direct or dynamic batching) and its statistics. Reference-counted, so a version being replaced or unloaded
/// finishes the requests it holds before its session is released.
/// </summary>
public sealed class LoadedModel
{
    private readonly InferenceSession _session;
    private readonly ILogger _logger;
    private readonly Dictionary<string, TensorElementType> _elementTypes = [];
    private int _leases = 1;

    public LoadedModel(string name, string version, InferenceSession session, string provider, ModelConfig config, InferenceMetrics metrics, ILogger logger)
    {
        _logger = logger;
        Name = name;
        Version = version;
        Provider = provider;
        Config = config;
        Metrics = metrics;
        _session = session;
        Inputs = ApplyConfiguredDims(Describe(session.InputMetadata), config);
        Outputs = Describe(session.OutputMetadata);
        if (config.MaxBatchSize > 0 && Inputs.Concat(Outputs).FirstOrDefault(spec => spec.Shape.Length == 0) is { } scalar)
        {
            throw new InvalidOperationException($"max_batch_size is {config.MaxBatchSize}, but '{scalar.Name}' is a scalar without a batch dimension");
        }

        Executor = config.BatchingEnabled
            ? new DynamicBatcher(this, config.MaxBatchSize, config.DynamicBatching!, config.InstanceCount ?? 1)
            : new DirectExecutor(this, config.InstanceCount);
    }

    public string Name { get; }
    public string Version { get; }

    /// <summary>The execution provider the session runs on, e.g. <c>CPUExecutionProvider</c>.</summary>
    public string Provider { get; }

    public ModelConfig Config { get; }

    public InferenceMetrics Metrics { get; }

    public ModelStatistics Statistics { get; } = new();

    public IModelExecutor Executor { get; }

    /// <summary>Inputs as requests must send them: the ONNX metadata, narrowed by <c>config.json</c>'s dims.</summary>
    public IReadOnlyList<TensorSpec> Inputs { get; }

    public IReadOnlyList<TensorSpec> Outputs { get; }

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
    /// session: a request's lease lasts until its answer, which comes only after the execution that computed it.
    /// </summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0)
        {
            _ = FreeAsync();
        }
    }

    /// <summary>Stops the executor, waits for the executions it still runs, then frees the session.</summary>
    private async Task FreeAsync()
    {
        try
        {
            if (Executor is IAsyncDisposable executor)
            {
                await executor.DisposeAsync();
            }

            _session.Dispose();
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

    /// <summary>Records one execution in the statistics and metrics.</summary>
    public void RecordExecution(int batchSize, RunTimings timings)
    {
        Statistics.RecordExecution(batchSize, timings.InputNs, timings.InferNs, timings.OutputNs);
        Metrics.RecordExecution(Name, Version, Provider, batchSize, (timings.InputNs + timings.InferNs + timings.OutputNs) / 1e9);
    }

    /// <summary>Runs the model without recording it (warmup).</summary>
    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames) =>
        Run(inputs, outputNames, out _);

    /// <summary>
    /// Runs the model and times its three phases: preparing the inputs, ONNX Runtime's run, and copying the outputs
    /// out. Inputs must already be validated against <see cref="Inputs"/>.
    /// </summary>
    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings)
    {
        var started = Stopwatch.GetTimestamp();
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        var pins = new MemoryHandle[inputs.Count];
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                names[i] = input.Name;
                var elementType = _elementTypes[input.Name];
                if (elementType == TensorElementType.String)
                {
                    values[i] = CreateStringTensor(input);
                    continue;
                }

                // ONNX Runtime reads the request's own buffer: pinned, not copied.
                pins[i] = input.Data.Pin();
                unsafe
                {
                    values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, elementType,
                        input.Shape, (IntPtr)pins[i].Pointer, input.Data.Length);
                }
            }

            using var runOptions = new RunOptions();
            var prepared = Stopwatch.GetTimestamp();
            using var results = RunSession(runOptions, names, values, outputNames);
            var ran = Stopwatch.GetTimestamp();
            var outputs = new Tensor[results.Count];
            for (var i = 0; i < results.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                var data = info.ElementDataType == TensorElementType.String
                    ? ReadStringTensor(results[i], info.ElementCount)
                    : results[i].GetTensorDataAsSpan<byte>().ToArray();
                outputs[i] = new Tensor(outputNames[i], Datatypes.FromOnnx(info.ElementDataType), info.Shape, data);
            }

            timings = new RunTimings(RunTimings.Nanoseconds(started, prepared), RunTimings.Nanoseconds(prepared, ran),
                RunTimings.Nanoseconds(ran, Stopwatch.GetTimestamp()));
            return outputs;
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }

            foreach (var pin in pins)
            {
                pin.Dispose();
            }
        }
    }

    /// <summary>
    /// Inputs reach ONNX Runtime only after validation against the metadata, so what it still refuses depends on
    /// the values or on shape rules the metadata cannot state (the detector wants sides that are multiples of 32):
    /// the client's to fix, so a 400 that names the model and says what ONNX Runtime said.
    /// </summary>
    private IDisposableReadOnlyCollection<OrtValue> RunSession(RunOptions options, string[] names, OrtValue[] values, IReadOnlyList<string> outputNames)
    {
        try
        {
            return _session.Run(options, names, values, outputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw Protocol.InferenceException.BadRequest($"model '{Name}' version {Version} cannot run this input: {e.Message}");
        }
    }

    private static OrtValue CreateStringTensor(Tensor input)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, input.Shape);
        var index = 0;
        foreach (var element in new Protocol.BytesElements(input.Data.Span))
        {
            value.StringTensorSetElementAt(element, index++);
        }

        return value;
    }

    /// <summary>ONNX strings become BYTES elements: a 4-byte little-endian length, then the UTF-8 bytes.</summary>
    private static byte[] ReadStringTensor(OrtValue value, long count)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        for (var i = 0; i < count; i++)
        {
            // ONNX Runtime hands out the element's UTF-8 bytes.
            var element = value.GetStringElementAsSpan((int)i);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), element.Length);
            buffer.Advance(4);
            buffer.Write(element);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Replaces variable dimensions with the sizes <c>config.json</c> fixes. Its dims leave out the batch
    /// dimension when the model is batched, as Triton's do.
    /// </summary>
    private static List<TensorSpec> ApplyConfiguredDims(List<TensorSpec> specs, ModelConfig config)
    {
        foreach (var input in config.Inputs)
        {
            var index = specs.FindIndex(spec => spec.Name == input.Name);
            if (index < 0)
            {
                throw new InvalidOperationException($"{ModelConfig.FileName}: 'inputs' names '{input.Name}', which the model does not take");
            }

            var spec = specs[index];
            long[] dims = config.MaxBatchSize > 0 ? [-1, .. input.Dims] : input.Dims;
            if (dims.Length != spec.Shape.Length)
            {
                throw new InvalidOperationException(
                    $"{ModelConfig.FileName}: dims of input '{input.Name}' give rank {dims.Length}, the model's shape is {Shapes.Format(spec.Shape)}");
            }

            for (var i = 0; i < dims.Length; i++)
            {
                if (spec.Shape[i] >= 0 && dims[i] != spec.Shape[i] && !(i == 0 && config.MaxBatchSize > 0))
                {
                    throw new InvalidOperationException(
                        $"{ModelConfig.FileName}: dims of input '{input.Name}' contradict the model's shape {Shapes.Format(spec.Shape)} at dimension {i}");
                }
            }

            specs[index] = spec with { Shape = dims };
        }

        return specs;
    }

    private List<TensorSpec> Describe(IReadOnlyDictionary<string, NodeMetadata> metadata)
    {
        var specs = new List<TensorSpec>(metadata.Count);
        foreach (var (name, node) in metadata)
        {
            _elementTypes[name] = node.ElementDataType;
            specs.Add(new TensorSpec(name, Datatypes.FromOnnx(node.ElementDataType), [.. node.Dimensions.Select(d => (long)d)]));
        }

        return specs;
    }
}

/// <summary>Where one execution's time went, in nanoseconds (the statistics extension's compute_* figures).</summary>
public readonly record struct RunTimings(long InputNs, long InferNs, long OutputNs)
{
    /// <summary>The same execution with extra input preparation (joining a batch) counted in.</summary>
    public RunTimings WithInput(long extraNs) => this with { InputNs = InputNs + extraNs };

    /// <summary>
    /// Nanoseconds between two <see cref="Stopwatch"/> timestamps. In floating point: ticks × 10⁹ overflows a long
    /// after 9.2 s where the stopwatch counts nanoseconds, and a run under load can last that long.
    /// </summary>
    public static long Nanoseconds(long from, long to) => (long)((to - from) * (1e9 / Stopwatch.Frequency));
}
