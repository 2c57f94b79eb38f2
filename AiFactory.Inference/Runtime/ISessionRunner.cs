namespace AiFactory.Inference.Runtime;

/// <summary>Runs tensors on one ONNX Runtime session: plainly (<see cref="SessionRunner"/>) or as a captured CUDA graph (<see cref="CudaGraphRunner"/>).</summary>
public interface ISessionRunner : IDisposable
{
    /// <summary>
    /// Runs validated inputs and times the three phases: preparing the inputs, ONNX Runtime's run, and copying the
    /// outputs out (as arrays of their own, which outlive the run).
    /// </summary>
    IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings);
}
