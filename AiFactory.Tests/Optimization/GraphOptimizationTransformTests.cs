using AiFactory.Optimization;
using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using AiFactory.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Tests.Optimization;

/// <summary>The <c>graph</c> transform on the real direction classifier: a model that loads and answers as its parent does.</summary>
public sealed class GraphOptimizationTransformTests
{
    [Theory]
    [InlineData("basic")]
    [InlineData("extended")]
    public void The_optimized_classifier_loads_in_onnx_runtime_and_answers_as_its_parent(string level)
    {
        var parent = File.ReadAllBytes(RepositoryPaths.Model(SampleModels.TextDirection));

        var result = Transform(parent, new TransformOptions { GraphLevel = level });

        var image = SampleModels.RandomImage(seed: 3, 2, 3, 48, 192);
        var expected = Run(parent, image);
        var actual = Run(result.Bytes, image);
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), pair => Assert.Equal(pair.First, pair.Second, 1e-4f));
        Assert.True((int)result.Details["nodes_after"] <= (int)result.Details["nodes_before"], "an optimized graph never has more nodes");
    }

    [Fact]
    public void An_unknown_level_is_refused_with_the_levels_there_are()
    {
        var parent = File.ReadAllBytes(RepositoryPaths.Model(SampleModels.TextDirection));

        var refused = Assert.Throws<TransformRefusedException>(() => Transform(parent, new TransformOptions { GraphLevel = "maximum" }));

        Assert.Equal("unknown graph optimization level 'maximum': basic, extended or all", refused.Message);
    }

    [Fact]
    public void Bytes_that_are_not_onnx_are_refused_before_any_transform_runs()
    {
        var refused = Assert.Throws<TransformRefusedException>(() => OnnxModelFile.Read("not a model"u8.ToArray()));

        Assert.StartsWith("the file is not an ONNX model", refused.Message);
    }

    [Fact]
    public void An_unknown_transform_is_refused_naming_the_ones_there_are()
    {
        var refused = Assert.Throws<TransformRefusedException>(() => ModelTransforms.Named("int4"));

        Assert.StartsWith("unknown transform 'int4': one of ", refused.Message);
        Assert.Contains("graph", refused.Message);
    }

    private static TransformResult Transform(byte[] parent, TransformOptions options) =>
        ModelTransforms.Named("graph").Apply(new TransformInput(parent, OnnxModelFile.Read(parent), options, CalibrationData.None));

    private static float[] Run(byte[] model, float[] image)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(SampleModels.TextDirectionInput, new DenseTensor<float>(image, [2, 3, 48, 192]))]);
        return results[0].AsTensor<float>().ToArray();
    }
}
