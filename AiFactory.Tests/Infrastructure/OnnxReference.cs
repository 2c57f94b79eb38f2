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
        using var session = new InferenceSession(modelPath);
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], [outputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
