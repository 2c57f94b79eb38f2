using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// The execution providers this process can use: the CPU always; CUDA and TensorRT where appending them to a session
/// succeeds, which loads their libraries (ONNX Runtime's list of compiled-in providers names them even where the CUDA
/// libraries are missing and they cannot run). Probed once; the registry refuses a <c>tensorrt</c> serving
/// configuration when no replica can use it.
/// </summary>
public static class ProviderProbe
{
    private static readonly Lazy<IReadOnlyList<string>> Probed = new(Probe);

    public static IReadOnlyList<string> Usable => Probed.Value;

    private static IReadOnlyList<string> Probe()
    {
        List<string> usable = [SessionFactory.CpuProvider];
        if (Appends(options => options.AppendExecutionProvider_CUDA(0)))
        {
            usable.Add(SessionFactory.CudaProvider);
        }

        if (Appends(options =>
            {
                using var tensorRt = new OrtTensorRTProviderOptions();
                options.AppendExecutionProvider_Tensorrt(tensorRt);
            }))
        {
            usable.Add(SessionFactory.TensorRtProvider);
        }

        return usable;
    }

    private static bool Appends(Action<SessionOptions> append)
    {
        try
        {
            using var options = new SessionOptions();
            append(options);
            return true;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or NotSupportedException)
        {
            return false;
        }
    }
}
