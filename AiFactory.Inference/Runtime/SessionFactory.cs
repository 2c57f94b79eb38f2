using AiFactory.Inference.Repository;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace AiFactory.Inference.Runtime;

/// <summary>Creates ONNX Runtime sessions on the execution provider and with the options a model asks for.</summary>
public sealed class SessionFactory(ILogger<SessionFactory> logger)
{
    public const string CpuProvider = "CPUExecutionProvider";
    public const string CudaProvider = "CUDAExecutionProvider";
    public const string TensorRtProvider = "TensorrtExecutionProvider";

    /// <summary>The folder, next to the model, where TensorRT keeps its engines and timings.</summary>
    public const string TensorRtCacheFolder = "tensorrt-cache";

    /// <summary>
    /// Opens <paramref name="modelPath"/>. <see cref="ExecutionProvider.Auto"/> tries CUDA and falls back to CPU with
    /// the reason logged; an explicit provider that cannot be appended throws, so the model becomes unavailable.
    /// </summary>
    /// <returns>The session and the name of the provider it runs on.</returns>
    public (InferenceSession Session, string Provider) Create(string modelPath, ModelConfig config)
    {
        var (session, provider, _) = CreateShared(modelPath, config);
        return (session, provider);
    }

    /// <summary>
    /// Opens every session a version serves with (see <see cref="SessionPlan"/>): the shared one, and with a session
    /// per shape one for each prepared shape, captured as a CUDA graph when asked for.
    /// </summary>
    /// <exception cref="InvalidOperationException">The config does not fit the model, or a graph cannot be captured.</exception>
    public ModelSessions Open(string modelPath, ModelConfig config, string modelName, string version)
    {
        var (session, provider, path) = CreateShared(modelPath, config);
        var shared = new SessionRunner(session, modelName, version);
        var byShape = new Dictionary<string, ISessionRunner>();
        try
        {
            var signature = ModelSignature.Of(session, config);
            var plan = SessionPlan.For(config, provider);
            if (plan.Ignored is { } ignored)
            {
                logger.LogWarning("Model {Model} version {Version}: {Ignored}", modelName, version, ignored);
            }

            var prepared = PreparedShapes.For(signature, config, plan.Padding);
            if (plan.CudaGraphs && prepared.Count == 0)
            {
                throw new InvalidOperationException(
                    $"{ModelConfig.FileName}: 'cuda_graphs' needs fixed input shapes: fix the variable dims with 'inputs' or list them in 'warmup_shapes'");
            }

            foreach (var shape in plan.SessionPerShape ? prepared : [])
            {
                byShape[PreparedShapes.Key(signature.Inputs, shape)] = OpenForShape(path, config, provider, signature, shape, plan.CudaGraphs, shared, modelName, version);
            }

            if (byShape.Count > 0)
            {
                logger.LogInformation("Model {Model} version {Version}: {Sessions} sessions of their own for its prepared shapes{Graphs}",
                    modelName, version, byShape.Count, plan.CudaGraphs ? ", each a captured CUDA graph" : "");
            }

            return new ModelSessions(shared, provider, signature, plan, prepared, byShape);
        }
        catch
        {
            foreach (var runner in byShape.Values)
            {
                runner.Dispose();
            }

            shared.Dispose();
            throw;
        }
    }

    private ISessionRunner OpenForShape(string path, ModelConfig config, string provider, ModelSignature signature, long[][] shape,
        bool cudaGraph, SessionRunner shared, string modelName, string version)
    {
        using var options = Options(config);
        AppendResolved(options, config, provider, path, cudaGraph, TensorRtProfile.Exactly(signature.Inputs, shape));
        var session = new InferenceSession(path, options);
        if (!cudaGraph)
        {
            return new SessionRunner(session, modelName, version);
        }

        try
        {
            var probe = Warmup.Probe(signature.Inputs, shape);
            var reference = shared.Run(probe, [.. signature.Outputs.Select(output => output.Name)], out _);
            return CudaGraphRunner.Capture(session, signature, probe, reference);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private (InferenceSession Session, string Provider, string Path) CreateShared(string modelPath, ModelConfig config)
    {
        using var options = Options(config);
        var provider = AppendProvider(options, config, modelPath);
        var path = config.SaveOptimizedModel ? UseOptimizedModel(options, modelPath, provider) : modelPath;
        return (new InferenceSession(path, options), provider, path);
    }

    private static SessionOptions Options(ModelConfig config)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = OptimizationLevel(config.GraphOptimizationLevel),
            IntraOpNumThreads = config.IntraOpThreads,
            InterOpNumThreads = config.InterOpThreads,
        };
        var spinning = config.AllowSpinning ? "1" : "0";
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning);
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", spinning);
        return options;
    }

    /// <summary>
    /// Loads the optimized graph a previous start saved, when it is newer than the model; otherwise asks ONNX
    /// Runtime to save one. Named by provider: CUDA and CPU optimize differently.
    /// </summary>
    private string UseOptimizedModel(SessionOptions options, string modelPath, string provider)
    {
        var optimized = Path.Combine(Path.GetDirectoryName(modelPath)!, $"model.optimized.{provider}.onnx");
        if (File.Exists(optimized) && File.GetLastWriteTimeUtc(optimized) >= File.GetLastWriteTimeUtc(modelPath))
        {
            logger.LogInformation("Loading the optimized graph {Path} saved by an earlier start", optimized);
            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC;
            return optimized;
        }

        if (IsWritable(Path.GetDirectoryName(modelPath)!))
        {
            options.OptimizedModelFilePath = optimized;
        }
        else
        {
            logger.LogWarning("Cannot save the optimized graph of {Model}: its folder is read-only", modelPath);
        }

        return modelPath;
    }

    private string AppendProvider(SessionOptions options, ModelConfig config, string modelPath)
    {
        switch (config.Provider)
        {
            case ExecutionProvider.Cpu:
                return CpuProvider;
            case ExecutionProvider.Cuda:
                AppendResolved(options, config, CudaProvider, modelPath, cudaGraph: false, profile: null);
                return CudaProvider;
            case ExecutionProvider.TensorRT:
                AppendResolved(options, config, TensorRtProvider, modelPath, cudaGraph: false, TensorRtProfile.Spanning(config.TensorRt));
                return TensorRtProvider;
            default:
                try
                {
                    AppendResolved(options, config, CudaProvider, modelPath, cudaGraph: false, profile: null);
                    return CudaProvider;
                }
                catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
                {
                    logger.LogWarning("CUDA is not available for {Model}, serving it on the CPU: {Reason}", modelPath, e.Message);
                    return CpuProvider;
                }
        }
    }

    /// <summary>
    /// Appends <paramref name="provider"/> with the options <see cref="ProviderOptions"/> gives. Setting the options
    /// loads the provider's library, so where it cannot load this throws like the append itself. TensorRT hands the
    /// nodes it cannot take to CUDA.
    /// </summary>
    private void AppendResolved(SessionOptions options, ModelConfig config, string provider, string modelPath, bool cudaGraph, TensorRtProfile? profile)
    {
        if (provider == TensorRtProvider)
        {
            using var tensorRt = new OrtTensorRTProviderOptions();
            tensorRt.UpdateOptions(ProviderOptions.TensorRt(config, TensorRtCache(modelPath), profile));
            options.AppendExecutionProvider_Tensorrt(tensorRt);
        }

        if (provider is CudaProvider or TensorRtProvider)
        {
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(ProviderOptions.Cuda(config, cudaGraph));
            options.AppendExecutionProvider_CUDA(cuda);
        }
    }

    /// <summary>The version's TensorRT cache folder, made when missing; null (no caches) where it cannot be written.</summary>
    private string? TensorRtCache(string modelPath)
    {
        var folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, TensorRtCacheFolder);
        try
        {
            Directory.CreateDirectory(folder);
            if (IsWritable(folder))
            {
                return folder;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        logger.LogWarning("Cannot write TensorRT's caches to {Folder}: every start builds its engines again", folder);
        return null;
    }

    private static GraphOptimizationLevel OptimizationLevel(string level) => level switch
    {
        "disable" => GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private static bool IsWritable(string directory)
    {
        try
        {
            var probe = Path.Combine(directory, $".write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
