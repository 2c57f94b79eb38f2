using AiFactory.Inference.Repository;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace AiFactory.Inference.Runtime;

/// <summary>Creates ONNX Runtime sessions on the execution provider a model asks for.</summary>
public sealed class SessionFactory(ILogger<SessionFactory> logger)
{
    /// <summary>
    /// Opens <paramref name="modelPath"/>. <see cref="ExecutionProvider.Auto"/> tries CUDA and falls back to CPU with
    /// the reason logged; an explicit provider that cannot be appended throws, so the model becomes unavailable.
    /// </summary>
    /// <returns>The session and the name of the provider it runs on.</returns>
    public (InferenceSession Session, string Provider) Create(string modelPath, ExecutionProvider requested)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        var provider = AppendProvider(options, requested, modelPath);
        return (new InferenceSession(modelPath, options), provider);
    }

    private string AppendProvider(SessionOptions options, ExecutionProvider requested, string modelPath)
    {
        switch (requested)
        {
            case ExecutionProvider.Cpu:
                return "CPUExecutionProvider";
            case ExecutionProvider.Cuda:
                options.AppendExecutionProvider_CUDA(0);
                return "CUDAExecutionProvider";
            case ExecutionProvider.TensorRT:
                options.AppendExecutionProvider_Tensorrt(0);
                // TensorRT hands the nodes it cannot take to CUDA.
                options.AppendExecutionProvider_CUDA(0);
                return "TensorrtExecutionProvider";
            default:
                try
                {
                    options.AppendExecutionProvider_CUDA(0);
                    return "CUDAExecutionProvider";
                }
                catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
                {
                    logger.LogWarning("CUDA is not available for {Model}, serving it on the CPU: {Reason}", modelPath, e.Message);
                    return "CPUExecutionProvider";
                }
        }
    }
}
