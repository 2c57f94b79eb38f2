using AiFactory.Optimization;
using AiFactory.Optimization.Onnx;
using AiFactory.Tests.Infrastructure;
using static AiFactory.Tests.Optimization.Transforming;
using DataType = AiFactory.Optimization.Onnx.TensorProto.Types.DataType;

namespace AiFactory.Tests.Optimization;

/// <summary>
/// The <c>int8-dynamic</c> transform: MatMul/Gemm with constant weights to INT8 per column, answers within stated
/// tolerances of the parent, and a clear refusal for models it does not apply to.
/// </summary>
public sealed class Int8DynamicTransformTests
{
    [Fact]
    public void MatMul_and_Gemm_weights_become_int8_per_column_and_the_answers_stay_within_two_percent()
    {
        var parent = OnnxModelFile.Write(GeneratedModels.Linear());

        var result = Apply("int8-dynamic", parent);

        var x = SampleModels.RandomImage(seed: 7, 8, 64);
        var difference = RelativeMaxDifference(Run(parent, x, 8, 64), Run(result.Bytes, x, 8, 64));
        Assert.True(difference <= 0.02, $"largest difference {difference:P2} of the largest output; the bound is 2 %");
        var graph = OnnxModelFile.Read(result.Bytes).Graph;
        Assert.Equal(2, graph.Node.Count(node => node.OpType == "DynamicQuantizeMatMul" && node.Domain == "com.microsoft"));
        Assert.DoesNotContain(graph.Node, node => node.OpType is "MatMul" or "Gemm" or "Constant");
        Assert.Equal([[64, 32], [32, 16]], graph.Initializer.Where(t => TensorData.TypeOf(t) == DataType.Int8).Select(t => t.Dims.ToArray()));
        Assert.Equal(2, result.Details["nodes_quantized"]);
        Assert.Equal((64 * 32 + 32 * 16) * 4L, result.Details["weight_bytes_before"]);
        Assert.Equal(64 * 32 + 32 * 16 + (32 + 16) * 4L, result.Details["weight_bytes_after"]);
    }

    [Fact]
    public void A_weight_holding_fewer_values_than_its_dimensions_declare_is_refused_naming_it()
    {
        // The attack: a crafted file whose [64, 32] weight carries the bytes of 64 × 31 values, so a reader trusting
        // the declared dimensions would index past the data it received.
        var model = GeneratedModels.Linear();
        var weight = model.Graph.Initializer.Single(tensor => tensor.Name == "w1");
        weight.RawData = Google.Protobuf.ByteString.CopyFrom(weight.RawData.Span[..(64 * 31 * 4)]);

        var refused = Assert.Throws<TransformRefusedException>(() => Apply("int8-dynamic", model));

        Assert.Equal("tensor 'w1' holds 1984 values where its dimensions [64,32] declare 2048", refused.Message);
    }

    [Fact]
    public void A_convolutional_model_is_refused_and_pointed_at_int8_static()
    {
        var refused = Assert.Throws<TransformRefusedException>(() => Apply("int8-dynamic", GeneratedModels.Convolution()));

        Assert.Equal("int8-dynamic applies to MatMul/Gemm with constant weights; the model has none: it is convolutional (1 Conv nodes); use int8-static",
            refused.Message);
    }

    [Fact]
    public void The_detector_is_refused_for_it_has_no_matmul()
    {
        var refused = Assert.Throws<TransformRefusedException>(() => Apply("int8-dynamic", SampleModel(SampleModels.TextDetection)));

        Assert.Equal("int8-dynamic applies to MatMul/Gemm with constant weights; the model has none: it is convolutional (64 Conv nodes); use int8-static",
            refused.Message);
    }

    /// <summary>
    /// The recognizer's SVTR neck has 13 MatMuls: 9 by constant weights (quantized), 4 between activations (attention
    /// scores and values, left FP32). Tolerance: character accuracy within 1 point of the parent (the goal).
    /// </summary>
    [Fact]
    public void The_recognizer_in_int8_reads_within_one_point_of_its_parent()
    {
        var parent = SampleModel(SampleModels.TextRecognition);

        var result = Apply("int8-dynamic", parent);

        Assert.Equal(9, result.Details["nodes_quantized"]);
        var graph = OnnxModelFile.Read(result.Bytes).Graph;
        Assert.Equal(4, graph.Node.Count(node => node.OpType == "MatMul"));
        Assert.True(result.Bytes.Length < parent.Length, $"{result.Bytes.Length:N0} bytes against the parent's {parent.Length:N0}");
        var (expected, actual) = (Headline(SampleModels.TextRecognition, parent), Headline(SampleModels.TextRecognition, result.Bytes));
        Assert.True(actual >= expected - 0.01, $"character accuracy {actual:F4} in INT8 against {expected:F4} in FP32; the tolerance is 1 point");
    }
}
