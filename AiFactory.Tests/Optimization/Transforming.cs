using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using AiFactory.Tests.Evaluation;
using AiFactory.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Tests.Optimization;

/// <summary>Runs a transform as the registry does, and the parent and its child on the same inputs.</summary>
internal static class Transforming
{
    /// <summary>The small evaluation set of the sample models' accuracy tests (40 lines, 4 pages, default seed).</summary>
    public static Lazy<OcrEvaluationSet> Set { get; } = new(() =>
        OcrEvaluationSet.Generate(new OcrSetOptions { Lines = 40, Pages = 4 }, OcrEvaluationSetTests.Dictionary));

    public static TransformResult Apply(string transform, byte[] parent, TransformOptions? options = null) =>
        ModelTransforms.Named(transform).Apply(new TransformInput(parent, OnnxModelFile.Read(parent), options ?? TransformOptions.Default, CalibrationData.None));

    public static TransformResult Apply(string transform, ModelProto parent, TransformOptions? options = null) =>
        Apply(transform, OnnxModelFile.Write(parent), options);

    /// <summary>The first output of the model for the one FP32 input <c>x</c>.</summary>
    public static float[] Run(byte[] model, float[] x, params int[] shape)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, shape))]);
        return results[0].AsTensor<float>().ToArray();
    }

    /// <summary>The headline task metric of a sample model's bytes on <see cref="Set"/>.</summary>
    public static double Headline(string model, byte[] bytes)
    {
        using var session = new InferenceSession(bytes);
        return OcrTaskEvaluation.Measure(OcrModels.TaskOf(model)!.Value, OnnxModelRun.For(session), Set.Value, OcrEvaluationSetTests.Dictionary).Headline.Value;
    }

    /// <summary>The largest difference between two outputs, relative to the largest magnitude of the expected one.</summary>
    public static double RelativeMaxDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Max(value => Math.Abs(value));
        return expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second)) / scale;
    }

    public static byte[] SampleModel(string name) => File.ReadAllBytes(RepositoryPaths.Model(name));
}
