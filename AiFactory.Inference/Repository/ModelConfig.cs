using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiFactory.Inference.Repository;

/// <summary>
/// A model's <c>config.json</c>. Every field is optional; names and meanings follow Triton's model configuration
/// where the two overlap.
/// </summary>
/// <remarks>
/// Settable rather than init-only: the JSON source generator sets every init-only property, so an omitted field
/// would lose its default.
/// </remarks>
public sealed record ModelConfig
{
    public const string FileName = "config.json";

    public static ModelConfig Default { get; } = new();

    /// <summary>Largest batch the model accepts along its first dimension; 0 means the model is not batched.</summary>
    [JsonPropertyName("max_batch_size")]
    public int MaxBatchSize { get; set; }

    /// <summary>Present (with <see cref="MaxBatchSize"/> &gt; 0) to combine requests into batches.</summary>
    [JsonPropertyName("dynamic_batching")]
    public DynamicBatchingConfig? DynamicBatching { get; set; }

    [JsonPropertyName("version_policy")]
    public VersionPolicyConfig? VersionPolicy { get; set; }

    /// <summary>How many executions of this model run at once (batches, when batching).</summary>
    /// <remarks>Default: 1 with dynamic batching; without it, as many as arrive (sessions are thread-safe).</remarks>
    [JsonPropertyName("instance_count")]
    public int? InstanceCount { get; set; }

    [JsonPropertyName("execution_provider")]
    public string ExecutionProvider { get; set; } = "auto";

    /// <summary>Batch sizes run once at load; the model is not ready before they ran.</summary>
    [JsonPropertyName("warmup")]
    public int[] Warmup { get; set; } = [];

    /// <summary>
    /// Fixed sizes for dimensions the ONNX file leaves variable, per input, without the batch dimension when
    /// <see cref="MaxBatchSize"/> &gt; 0 (Triton's <c>dims</c>). Requests must match them; warmup uses them.
    /// </summary>
    [JsonPropertyName("inputs")]
    public InputConfig[] Inputs { get; set; } = [];

    /// <summary><c>disable</c>, <c>basic</c>, <c>extended</c> or <c>all</c> (ONNX Runtime's levels).</summary>
    [JsonPropertyName("graph_optimization_level")]
    public string GraphOptimizationLevel { get; set; } = "all";

    /// <summary>
    /// ONNX Runtime's CUDA <c>cudnn_conv_algo_search</c>, lower-case: <c>exhaustive</c> (its default), <c>heuristic</c>
    /// or <c>default</c>. Ignored on the CPU. With cuDNN 9, ONNX Runtime 1.31 builds a cuDNN plan for every
    /// convolution each time the input shape changes; the option only picks the plan heuristic (exhaustive: mode B,
    /// heuristic: mode A, default: the slow fallback kernels). Measured on an H200 (docs/performance.md): heuristic
    /// ran fixed shapes up to a third slower than exhaustive and did not fix dynamic batching, so exhaustive stays
    /// the default.
    /// </summary>
    [JsonPropertyName("cudnn_conv_algo_search")]
    public string CudnnConvAlgoSearch { get; set; } = "exhaustive";

    /// <summary>Threads one execution may use; 0 lets ONNX Runtime choose (one per core).</summary>
    [JsonPropertyName("intra_op_threads")]
    public int IntraOpThreads { get; set; }

    [JsonPropertyName("inter_op_threads")]
    public int InterOpThreads { get; set; }

    /// <summary>
    /// Let ONNX Runtime's worker threads spin between runs. Off by default: on a server, spinning threads take the
    /// cores that parse requests and form batches (measured: several ms per request on 2 cores).
    /// </summary>
    [JsonPropertyName("allow_spinning")]
    public bool AllowSpinning { get; set; }

    /// <summary>Save the optimized graph next to the model and load it on the next start.</summary>
    [JsonPropertyName("save_optimized_model")]
    public bool SaveOptimizedModel { get; set; }

    /// <summary>
    /// Input shapes to prepare at load besides the dims the model fixes: each entry maps input names to dims
    /// (without the batch dimension when batched, as <see cref="Inputs"/>' dims), e.g. the image sizes a detector
    /// serves. Each is warmed at every padded batch size; on a GPU provider each gets sessions of its own.
    /// </summary>
    [JsonPropertyName("warmup_shapes")]
    public Dictionary<string, long[]>[] WarmupShapes { get; set; } = [];

    /// <summary>
    /// One ONNX Runtime session per prepared shape (see <see cref="WarmupShapes"/>), so each session only ever sees
    /// one shape; other shapes run on a shared session. Null: on for CUDA and TensorRT, whose convolutions plan for
    /// the last shape they saw (docs/performance.md), off for the CPU, which gains nothing and would hold the weights
    /// once per shape.
    /// </summary>
    [JsonPropertyName("session_per_shape")]
    public bool? SessionPerShape { get; set; }

    /// <summary>
    /// CUDA only: run each prepared shape as a captured CUDA graph (ONNX Runtime's <c>enable_cuda_graph</c>, inputs and
    /// outputs bound to device buffers). Needs dynamic batching with padded batch sizes and fixed dims; ignored, with
    /// the reason logged, where the model runs on the CPU.
    /// </summary>
    [JsonPropertyName("cuda_graphs")]
    public bool CudaGraphs { get; set; }

    /// <summary>TensorRT only (<c>execution_provider: tensorrt</c>): its settings; absent, the defaults.</summary>
    [JsonPropertyName("tensorrt")]
    public TensorRtConfig? TensorRt { get; set; }

    /// <summary>The parsed <see cref="ExecutionProvider"/>; valid once <see cref="Load"/> returned.</summary>
    [JsonIgnore]
    public ExecutionProvider Provider => Enum.Parse<ExecutionProvider>(ExecutionProvider, ignoreCase: true);

    /// <summary>True when requests are queued and combined into batches.</summary>
    [JsonIgnore]
    public bool BatchingEnabled => MaxBatchSize > 0 && DynamicBatching is not null;

    /// <summary>Reads and validates <paramref name="path"/>; a missing file gives the defaults.</summary>
    /// <exception cref="ModelConfigException">The file is not valid; the message names the file and the field.</exception>
    public static ModelConfig Load(string path) => File.Exists(path) ? Parse(File.ReadAllText(path), path) : Default;

    /// <summary>
    /// Parses and validates a <c>config.json</c>'s text; <paramref name="source"/> names it in errors (a file's path,
    /// or what the registry calls it).
    /// </summary>
    /// <exception cref="ModelConfigException">The text is not a valid configuration; the message names the source and the field.</exception>
    public static ModelConfig Parse(string json, string source)
    {
        ModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, RepositoryJsonContext.Default.ModelConfig);
        }
        catch (JsonException e)
        {
            throw new ModelConfigException(source, e.Path ?? "$", e.Message);
        }

        if (config is null)
        {
            throw new ModelConfigException(source, "$", "the file must hold a JSON object");
        }

        config.Validate(source);
        return config;
    }

    private void Validate(string path)
    {
        Require(path, "max_batch_size", MaxBatchSize >= 0, $"must be 0 or more, not {MaxBatchSize}");
        Require(path, "instance_count", InstanceCount is null or >= 1, $"must be 1 or more, not {InstanceCount}");
        Require(path, "intra_op_threads", IntraOpThreads >= 0, $"must be 0 or more, not {IntraOpThreads}");
        Require(path, "inter_op_threads", InterOpThreads >= 0, $"must be 0 or more, not {InterOpThreads}");
        Require(path, "execution_provider",
            Enum.TryParse<ExecutionProvider>(ExecutionProvider, ignoreCase: true, out _) && !int.TryParse(ExecutionProvider, out _),
            $"'{ExecutionProvider}' is not one of auto, cuda, tensorrt, cpu");
        Require(path, "graph_optimization_level", GraphOptimizationLevel is "disable" or "basic" or "extended" or "all",
            $"'{GraphOptimizationLevel}' is not one of disable, basic, extended, all");
        Require(path, "cudnn_conv_algo_search", CudnnConvAlgoSearch is "exhaustive" or "heuristic" or "default",
            $"'{CudnnConvAlgoSearch}' is not one of exhaustive, heuristic, default");
        Require(path, "dynamic_batching", DynamicBatching is null || MaxBatchSize > 0, "needs max_batch_size above 0");

        foreach (var size in Warmup)
        {
            Require(path, "warmup", size >= 1 && (MaxBatchSize == 0 || size <= MaxBatchSize),
                $"batch size {size} must be between 1 and max_batch_size ({MaxBatchSize})");
        }

        Require(path, "cuda_graphs", !CudaGraphs || BatchingEnabled, "needs dynamic_batching: a graph is captured for each padded batch size");
        Require(path, "cuda_graphs", !CudaGraphs || Provider is Repository.ExecutionProvider.Cuda or Repository.ExecutionProvider.Auto,
            $"needs execution_provider cuda or auto, not '{ExecutionProvider}'");
        Require(path, "cuda_graphs", !CudaGraphs || DynamicBatching?.PaddedBatchSizes is not [],
            "needs padded batch sizes, but 'dynamic_batching.padded_batch_sizes' is empty");
        Require(path, "cuda_graphs", !CudaGraphs || SessionPerShape is not false, "needs a session per shape, but 'session_per_shape' is false");
        Require(path, "tensorrt", TensorRt is null || Provider == Repository.ExecutionProvider.TensorRT,
            $"needs execution_provider tensorrt, not '{ExecutionProvider}'");
        Require(path, "tensorrt.max_workspace_bytes", TensorRt is not { MaxWorkspaceBytes: < 0 }, "must be 0 (TensorRT's default) or more");
        TensorRt?.Profile?.Validate(path);
        for (var i = 0; i < WarmupShapes.Length; i++)
        {
            Require(path, $"warmup_shapes[{i}]", WarmupShapes[i].Count > 0, "must name at least one input");
            foreach (var (name, dims) in WarmupShapes[i])
            {
                Require(path, $"warmup_shapes[{i}].{name}", dims.All(d => d >= 0), "dimensions must be 0 or more");
            }
        }

        DynamicBatching?.Validate(path, MaxBatchSize);
        VersionPolicy?.Validate(path);
        for (var i = 0; i < Inputs.Length; i++)
        {
            Require(path, $"inputs[{i}].name", !string.IsNullOrEmpty(Inputs[i].Name), "is missing");
            Require(path, $"inputs[{i}].dims", Inputs[i].Dims.All(d => d >= -1), "dimensions must be -1 or more");
        }
    }

    internal static void Require(string path, string field, bool condition, string problem)
    {
        if (!condition)
        {
            throw new ModelConfigException(path, field, problem);
        }
    }
}

/// <summary>Triton's dynamic batcher settings; durations in microseconds.</summary>
public sealed record DynamicBatchingConfig
{
    /// <summary>Batch sizes worth waiting for: a batch that reaches one closes without waiting out the delay.</summary>
    [JsonPropertyName("preferred_batch_sizes")]
    public int[] PreferredBatchSizes { get; set; } = [];

    /// <summary>Longest time the oldest queued request waits for others to join its batch.</summary>
    [JsonPropertyName("max_queue_delay_us")]
    public long MaxQueueDelayUs { get; set; }

    /// <summary>Most items waiting at once; more are refused with 503 at once. 0 means no limit.</summary>
    [JsonPropertyName("max_queue_size")]
    public int MaxQueueSize { get; set; }

    /// <summary>
    /// Most bytes of input waiting at once (default 1 GiB); more are refused with 503 at once, and a single request
    /// larger than this with 400. Always bounded: a byte bound is what keeps a replica's memory safe from a few
    /// huge requests, which an item bound alone would let in.
    /// </summary>
    [JsonPropertyName("max_queue_bytes")]
    public long MaxQueueBytes { get; set; } = 1L << 30;

    /// <summary>A request still queued after this long is answered with an error. 0 means no limit.</summary>
    [JsonPropertyName("default_timeout_us")]
    public long DefaultTimeoutUs { get; set; }

    /// <summary>
    /// Batch sizes a batch is padded to (ascending, ending with <c>max_batch_size</c>): it runs as the smallest that
    /// holds it, and the padding's outputs are dropped. Null: powers of two up to <c>max_batch_size</c> on CUDA and
    /// TensorRT, none on the CPU (where a padded row costs as much as a real one); <c>[]</c>: never padded.
    /// </summary>
    [JsonPropertyName("padded_batch_sizes")]
    public int[]? PaddedBatchSizes { get; set; }

    internal void Validate(string path, int maxBatchSize)
    {
        ModelConfig.Require(path, "dynamic_batching.max_queue_delay_us", MaxQueueDelayUs >= 0, "must be 0 or more");
        ModelConfig.Require(path, "dynamic_batching.max_queue_size", MaxQueueSize >= 0, "must be 0 or more");
        ModelConfig.Require(path, "dynamic_batching.max_queue_bytes", MaxQueueBytes >= 1, $"must be 1 or more, not {MaxQueueBytes}");
        ModelConfig.Require(path, "dynamic_batching.default_timeout_us", DefaultTimeoutUs >= 0, "must be 0 or more");
        foreach (var size in PreferredBatchSizes)
        {
            ModelConfig.Require(path, "dynamic_batching.preferred_batch_sizes", size >= 1 && size <= maxBatchSize,
                $"{size} must be between 1 and max_batch_size ({maxBatchSize})");
        }

        if (PaddedBatchSizes is { Length: > 0 } padded)
        {
            const string field = "dynamic_batching.padded_batch_sizes";
            foreach (var size in padded)
            {
                ModelConfig.Require(path, field, size >= 1 && size <= maxBatchSize, $"{size} must be between 1 and max_batch_size ({maxBatchSize})");
            }

            ModelConfig.Require(path, field, padded.Zip(padded.Skip(1)).All(pair => pair.First < pair.Second), "must be in ascending order without repeats");
            ModelConfig.Require(path, field, padded[^1] == maxBatchSize,
                $"must end with max_batch_size ({maxBatchSize}), so that every batch fits a padded size");
        }
    }
}

/// <summary>Which versions are served: the newest <c>latest</c>, the <c>specific</c> ones, or <c>all</c>.</summary>
public sealed record VersionPolicyConfig
{
    [JsonPropertyName("latest")]
    public int? Latest { get; set; }

    [JsonPropertyName("specific")]
    public long[]? Specific { get; set; }

    [JsonPropertyName("all")]
    public JsonElement? All { get; set; }

    /// <summary>The versions to serve out of those on disk.</summary>
    public IEnumerable<long> Select(IEnumerable<long> available) => this switch
    {
        { All: not null } => available,
        { Specific: { } specific } => available.Where(specific.Contains),
        _ => available.OrderDescending().Take(Latest ?? 1),
    };

    internal void Validate(string path)
    {
        var chosen = (Latest is null ? 0 : 1) + (Specific is null ? 0 : 1) + (All is null ? 0 : 1);
        ModelConfig.Require(path, "version_policy", chosen == 1, "must hold exactly one of latest, specific, all");
        ModelConfig.Require(path, "version_policy.latest", Latest is null or >= 1, $"must be 1 or more, not {Latest}");
        ModelConfig.Require(path, "version_policy.specific", Specific is null || Specific.All(v => v >= 1), "versions are positive integers");
    }
}

/// <summary>TensorRT's settings (<see cref="ModelConfig.TensorRt"/>), as ONNX Runtime's TensorRT provider names them without <c>trt_</c>.</summary>
public sealed record TensorRtConfig
{
    /// <summary>Let TensorRT run layers in FP16 where it measures faster (numerics change: validate the version).</summary>
    [JsonPropertyName("fp16")]
    public bool Fp16 { get; set; }

    /// <summary>
    /// Let TensorRT run layers in INT8: for a model quantized with Q/DQ nodes (int8-static), whose scales TensorRT
    /// takes from the graph; numerics change: validate the version.
    /// </summary>
    [JsonPropertyName("int8")]
    public bool Int8 { get; set; }

    /// <summary>Workspace TensorRT may use to build an engine, in bytes; 0: TensorRT's default.</summary>
    [JsonPropertyName("max_workspace_bytes")]
    public long MaxWorkspaceBytes { get; set; }

    /// <summary>Keep built engines in the version's <c>tensorrt-cache</c> folder, so a restart loads instead of building.</summary>
    [JsonPropertyName("engine_cache")]
    public bool EngineCache { get; set; } = true;

    /// <summary>Keep TensorRT's layer timings there too, so building an engine for another shape is faster.</summary>
    [JsonPropertyName("timing_cache")]
    public bool TimingCache { get; set; } = true;

    /// <summary>
    /// The optimization profile of the shared session (the one shapes outside the prepared ones run on): every shape
    /// from <c>min</c> to <c>max</c> per input, tuned for <c>opt</c>, full shapes with the batch dimension. Absent,
    /// TensorRT builds for the shapes it meets. The <c>tensorrt</c> transform derives it from the config.
    /// </summary>
    [JsonPropertyName("profile")]
    public TensorRtProfileConfig? Profile { get; set; }
}

/// <summary>A TensorRT optimization profile: per input name, its smallest, tuned-for and largest full shape.</summary>
public sealed record TensorRtProfileConfig
{
    [JsonPropertyName("min")]
    public Dictionary<string, long[]> Min { get; set; } = [];

    [JsonPropertyName("opt")]
    public Dictionary<string, long[]> Opt { get; set; } = [];

    [JsonPropertyName("max")]
    public Dictionary<string, long[]> Max { get; set; } = [];

    internal void Validate(string path)
    {
        const string field = "tensorrt.profile";
        ModelConfig.Require(path, field, Min.Count > 0 && Min.Keys.Order().SequenceEqual(Opt.Keys.Order()) && Min.Keys.Order().SequenceEqual(Max.Keys.Order()),
            "'min', 'opt' and 'max' must name the same inputs, at least one");
        foreach (var (input, min) in Min)
        {
            var (opt, max) = (Opt[input], Max[input]);
            ModelConfig.Require(path, $"{field}.{input}", min.Length > 0 && min.Length == opt.Length && min.Length == max.Length,
                "'min', 'opt' and 'max' must have the same rank");
            ModelConfig.Require(path, $"{field}.{input}", min.Select((dim, i) => dim >= 1 && dim <= opt[i] && opt[i] <= max[i]).All(ok => ok),
                "needs 1 ≤ min ≤ opt ≤ max in every dimension");
        }
    }
}

/// <summary>Dimensions for one input; see <see cref="ModelConfig.Inputs"/>.</summary>
public sealed record InputConfig
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("dims")]
    public long[] Dims { get; set; } = [];
}

/// <summary>A <c>config.json</c> that cannot be used; the message names the file and the field.</summary>
public sealed class ModelConfigException(string path, string field, string problem)
    : Exception($"{path}: '{field}' {problem}");

[JsonSerializable(typeof(ModelConfig))]
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class RepositoryJsonContext : JsonSerializerContext;
