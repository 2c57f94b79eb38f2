using AiFactory.Inference.Batching;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;

namespace AiFactory.Tests.Inference.Runtime;

/// <summary>Which shapes a version prepares at load: padded batch sizes times the warmup shapes, or the fixed dims.</summary>
public sealed class PreparedShapesTests
{
    private static readonly ModelSignature Detector = new([new TensorSpec("x", "FP32", [-1, 3, -1, -1])], [new TensorSpec("y", "FP32", [-1, 1, -1, -1])]);
    private static readonly ModelSignature Classifier = new([new TensorSpec("x", "FP32", [-1, 3, 48, 192])], [new TensorSpec("y", "FP32", [-1, 2])]);

    [Fact]
    public void Each_warmup_shape_is_prepared_at_each_padded_size()
    {
        var config = new ModelConfig { MaxBatchSize = 2, WarmupShapes = [new() { ["x"] = [3, 640, 640] }, new() { ["x"] = [3, 960, 960] }] };

        var shapes = PreparedShapes.For(Detector, config, new BatchPadding([1, 2]));

        Assert.Equal(["x:1,3,640,640;", "x:2,3,640,640;", "x:1,3,960,960;", "x:2,3,960,960;"],
            shapes.Select(shape => PreparedShapes.Key(Detector.Inputs, shape)));
    }

    [Fact]
    public void Without_warmup_shapes_the_fixed_dims_are_prepared_and_variable_ones_are_not()
    {
        var padding = new BatchPadding([4, 8]);

        Assert.Equal(["x:4,3,48,192;", "x:8,3,48,192;"],
            PreparedShapes.For(Classifier, new ModelConfig { MaxBatchSize = 8 }, padding).Select(shape => PreparedShapes.Key(Classifier.Inputs, shape)));
        Assert.Empty(PreparedShapes.For(Detector, new ModelConfig { MaxBatchSize = 8 }, padding));
        Assert.Empty(PreparedShapes.For(Classifier, new ModelConfig { MaxBatchSize = 8 }, BatchPadding.None));
    }

    [Theory]
    [InlineData("y", new long[] { 3, 640, 640 }, "config.json: 'warmup_shapes[0]' names 'y', which the model does not take")]
    [InlineData("x", new long[] { 4, 640, 640 }, "config.json: 'warmup_shapes[0]' gives 'x' the dims [4,640,640], which do not fit [3,-1,-1] (without the batch dimension)")]
    [InlineData("x", new long[] { 640, 640 }, "config.json: 'warmup_shapes[0]' gives 'x' the dims [640,640], which do not fit [3,-1,-1] (without the batch dimension)")]
    public void A_warmup_shape_that_does_not_fit_the_model_is_refused_naming_the_field(string input, long[] dims, string expected)
    {
        var config = new ModelConfig { MaxBatchSize = 2, WarmupShapes = [new() { [input] = dims }] };

        Assert.Equal(expected, Assert.Throws<InvalidOperationException>(() => PreparedShapes.For(Detector, config, new BatchPadding([2]))).Message);
    }
}
