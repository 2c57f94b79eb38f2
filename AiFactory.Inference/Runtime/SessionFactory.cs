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

    /// <summary>
    /// Opens <paramref name="modelPath"/>. <see cref="ExecutionProvider.Auto"/> tries CUDA and falls back to CPU with
    /// the reason logged; an explicit provider that cannot be appended throws, so the model becomes unavailable.
    /// </summary>
    /// <returns>The session and the name of the provider it runs on.</returns>
    public (InferenceSession Session, string Provider) Create(string modelPath, ModelConfig config)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = OptimizationLevel(config.GraphOptimizationLevel),
            IntraOpNumThreads = config.IntraOpThreads,
            InterOpNumThreads = config.InterOpThreads,
        };
        var spinning = config.AllowSpinning ? "1" : "0";
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning);
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", spinning);
        var provider = AppendProvider(options, config, modelPath);
        var path = modelPath;
        if (config.SaveOptimizedModel)
        {
            path = UseOptimizedModel(options, modelPath, provider);
        }

        return (new InferenceSession(path, options), provider);
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
                AppendCuda(options, config);
                return CudaProvider;
            case ExecutionProvider.TensorRT:
                options.AppendExecutionProvider_Tensorrt(0);
                // TensorRT hands the nodes it cannot take to CUDA.
                AppendCuda(options, config);
                return TensorRtProvider;
            default:
                try
                {
                    AppendCuda(options, config);
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
    /// Appends the CUDA provider on device 0 with the model's <c>cudnn_conv_algo_search</c>. Setting the options
    /// loads the CUDA provider library, so where CUDA cannot load this throws like the append itself.
    /// </summary>
    private static void AppendCuda(SessionOptions options, ModelConfig config)
    {
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(new Dictionary<string, string>
        {
            ["device_id"] = "0",
            ["cudnn_conv_algo_search"] = CudnnConvAlgoSearch(config.CudnnConvAlgoSearch),
        });
        options.AppendExecutionProvider_CUDA(cuda);
    }

    /// <summary>ONNX Runtime's names for <see cref="ModelConfig.CudnnConvAlgoSearch"/> (validated at load).</summary>
    internal static string CudnnConvAlgoSearch(string search) => search switch
    {
        "heuristic" => "HEURISTIC",
        "default" => "DEFAULT",
        _ => "EXHAUSTIVE",
    };

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
