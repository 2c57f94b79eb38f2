using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Runs a model straight through ONNX Runtime in the test process: the reference the served results must equal.
/// Deliberately independent of the server's own session code.
/// </summary>
public static class OnnxReference
{
    public static float[] Run(string modelPath, string inputName, float[] input, long[] shape, string outputName)
    {
        using var session = new ReferenceSession(modelPath);
        return session.Run(inputName, input, shape, outputName);
    }
}

/// <summary>One ONNX Runtime session for many reference runs.</summary>
public sealed class ReferenceSession(string modelPath) : IDisposable
{
    private readonly InferenceSession _session = new(modelPath);

    public float[] Run(string inputName, float[] input, long[] shape, string outputName)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, [inputName], [value], [outputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();
}
