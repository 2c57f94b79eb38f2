namespace AiFactory.Inference.Repository;

/// <summary>Which ONNX Runtime execution provider a model asks for in its <c>config.json</c>.</summary>
public enum ExecutionProvider
{
    /// <summary>CUDA when it loads, CPU otherwise (with the reason logged).</summary>
    Auto,
    Cuda,
    TensorRT,
    Cpu,
}
