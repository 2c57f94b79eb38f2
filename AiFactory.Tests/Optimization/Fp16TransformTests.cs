using AiFactory.Optimization;
using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using AiFactory.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static AiFactory.Tests.Optimization.Transforming;
using DataType = AiFactory.Optimization.Onnx.TensorProto.Types.DataType;

namespace AiFactory.Tests.Optimization;

/// <summary>
/// The <c>fp16</c> transform: half the bytes, FP32 at the edges, fragile operators in FP32, and answers that stay
/// within stated tolerances of the parent's: on random inputs for generated models, on the OCR evaluation set for the
/// sample models.
/// </summary>
public sealed class Fp16TransformTests
{
    [Fact]
    public void A_linear_model_computes_in_fp16_within_a_thousandth_of_its_parent()
    {
        var parent = OnnxModelFile.Write(GeneratedModels.Linear());

        var result = Apply("fp16", parent);

        var x = SampleModels.RandomImage(seed: 5, 4, 64);
        var difference = RelativeMaxDifference(Run(parent, x, 4, 64), Run(result.Bytes, x, 4, 64));
        Assert.True(difference <= 1e-3, $"largest difference {difference:E2} of the largest output; FP16 keeps 11 bits, the bound is 1e-3");
        var child = OnnxModelFile.Read(result.Bytes).Graph;
        Assert.All(child.Initializer, tensor => Assert.Equal(DataType.Float16, TensorData.TypeOf(tensor)));
        Assert.Equal(4, result.Details["initializers_converted"]); // w1, b1, b2 and the Constant node's w2
        Assert.Equal(4, result.Details["nodes_converted"]);
        Assert.Equal(2, result.Details["casts_added"]); // x in, y out
    }

    [Fact]
    public void Inputs_and_outputs_stay_fp32_so_callers_send_and_receive_what_they_did()
    {
        var result = Apply("fp16", GeneratedModels.Linear());

        using var session = new InferenceSession(result.Bytes);
        Assert.Equal(TensorElementType.Float, session.InputMetadata["x"].ElementDataType);
        Assert.Equal(TensorElementType.Float, session.OutputMetadata["y"].ElementDataType);
        var graph = OnnxModelFile.Read(result.Bytes).Graph;
        Assert.Equal(("x", "y"), (graph.Input.Single().Name, graph.Output.Single().Name));
    }

    [Fact]
    public void A_reduction_stays_fp32_behind_casts_and_so_does_an_operator_the_operator_names()
    {
        var parent = OnnxModelFile.Write(GeneratedModels.WithReduction());

        var result = Apply("fp16", parent, new TransformOptions { KeepFp32Operators = new HashSet<string> { "Sigmoid" } });

        var graph = OnnxModelFile.Read(result.Bytes).Graph;
        var types = ValueTypes.Probe(OnnxModelFile.Read(result.Bytes));
        foreach (var kept in graph.Node.Where(node => node.OpType is "ReduceMean" or "Sigmoid"))
        {
            Assert.All(kept.Input.Concat(kept.Output), value => Assert.Equal(DataType.Float, types[value]));
        }

        Assert.All(graph.Node.Where(node => node.OpType is "Mul" or "Add").SelectMany(node => node.Output),
            value => Assert.Equal(DataType.Float16, types[value]));
        Assert.Equal((2, 2), ((int)result.Details["nodes_converted"], (int)result.Details["nodes_kept_fp32"]));
        var x = SampleModels.RandomImage(seed: 6, 3, 8);
        var difference = RelativeMaxDifference(Run(parent, x, 3, 8), Run(result.Bytes, x, 3, 8));
        Assert.True(difference <= 1e-3, $"largest difference {difference:E2} of the largest output; the bound is 1e-3");
    }

    [Fact]
    public void Constants_beyond_the_fp16_range_are_clamped_to_its_largest_value_not_made_infinite()
    {
        var result = Apply("fp16", GeneratedModels.OutOfFp16Range());

        Assert.Equal(2, result.Details["values_clamped"]);
        Assert.Equal([65504f, -65504f], Run(result.Bytes, [1f, 1f], 2));
    }

    [Fact]
    public void A_batch_normalization_with_statistics_beyond_fp16_stays_fp32_and_answers_as_its_parent()
    {
        var parent = OnnxModelFile.Write(GeneratedModels.WithLargeStatistics());

        var result = Apply("fp16", parent);

        Assert.Equal((0, 1, 0), ((int)result.Details["nodes_converted"], (int)result.Details["nodes_kept_fp32"], (int)result.Details["values_clamped"]));
        var x = SampleModels.RandomImage(seed: 8, 1, 2, 4, 4).Select(value => value * 100_000f).ToArray();
        var difference = RelativeMaxDifference(Run(parent, x, 1, 2, 4, 4), Run(result.Bytes, x, 1, 2, 4, 4));
        Assert.True(difference <= 1e-6, $"largest difference {difference:E2} of the largest output; an FP32 node answers as its parent");
    }

    [Fact]
    public void A_model_with_subgraphs_is_refused_naming_the_node()
    {
        var refused = Assert.Throws<TransformRefusedException>(() => Apply("fp16", GeneratedModels.WithSubgraph()));

        Assert.Equal("fp16 does not convert models with subgraphs: node 'If_y' (If) has one", refused.Message);
    }

    /// <summary>
    /// Tolerances on the headline metric, in points (hundredths): direction accuracy over 80 lines within 1.25 (one
    /// line), recognizer character accuracy within 0.5, detector box F1 within 1.
    /// </summary>
    [Theory]
    [InlineData(SampleModels.TextDirection, 0.0125)]
    [InlineData(SampleModels.TextRecognition, 0.005)]
    [InlineData(SampleModels.TextDetection, 0.01)]
    public void A_sample_model_in_fp16_is_at_most_0_55_of_the_size_and_as_accurate_as_its_parent(string model, double tolerance)
    {
        var parent = SampleModel(model);

        var result = Apply("fp16", parent);

        Assert.True(result.Bytes.Length <= 0.55 * parent.Length, $"{result.Bytes.Length:N0} bytes of the parent's {parent.Length:N0}; the target is 0.55×");
        Assert.Equal((long)parent.Length, result.Details["size_before"]);
        Assert.Equal((long)result.Bytes.Length, result.Details["size_after"]);
        using (var session = new InferenceSession(result.Bytes))
        {
            Assert.All(session.InputMetadata.Values.Concat(session.OutputMetadata.Values), value => Assert.Equal(TensorElementType.Float, value.ElementDataType));
        }

        var (expected, actual) = (Headline(model, parent), Headline(model, result.Bytes));
        Assert.True(actual >= expected - tolerance, $"{model}: headline {actual:F4} in FP16 against {expected:F4} in FP32; the tolerance is {tolerance}");
    }
}
