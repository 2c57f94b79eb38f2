using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Optimization;
using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using AiFactory.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Tests.Optimization;

/// <summary>
/// <c>int8-static</c>: QDQ models that load in ONNX Runtime, fuse into QLinearConv, stay within stated tolerances of
/// their parent (generated models on random inputs, the real classifier and detector on the OCR evaluation set),
/// calibrated ranges that give the scales and zero points they must, and refusals with their reasons.
/// </summary>
public sealed class Int8StaticTransformTests
{
    private static readonly IModelTransform Transform = ModelTransforms.Named("int8-static");

    [Theory]
    [InlineData(CalibrationMethod.MinMax)]
    [InlineData(CalibrationMethod.Percentile)]
    public void A_generated_convolutional_model_loads_and_answers_within_tolerance_of_its_parent(CalibrationMethod method)
    {
        var parent = GeneratedModels.TwoConvolutions(opset: 13);
        var calibration = Calibration("random images", Enumerable.Range(0, 16).Select(seed => Image(seed, 4)));

        var result = Transform.Apply(Input(parent, calibration, new TransformOptions { Calibration = method }));

        var image = Image(seed: 999, batch: 8);
        var expected = Transforming.Run(OnnxModelFile.Write(parent), image.Data, image.Shape);
        var actual = Transforming.Run(result.Bytes, image.Data, image.Shape);
        var range = expected.Max() - expected.Min();
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        var mean = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Average();
        // One uint8 step of the output is 0.4 % of its range; the errors of the input, the weights and the hidden
        // activation add up through two 3×3 convolutions.
        Assert.True(worst <= 0.05 * range && mean <= 0.005 * range,
            $"max abs error {worst}, mean {mean}, against an output range of {range}; the tolerances are 5 % and 0.5 % of it");
        Assert.Equal(2, result.Details["nodes_quantized"]);
        Assert.Equal(4, result.Details["tensors_calibrated"]);
        Assert.Equal(method == CalibrationMethod.MinMax ? "minmax" : "percentile 99.999", result.Details["method"]);
        Assert.Equal(64, result.Details["calibration_samples"]);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(9)]
    public void Onnx_runtime_fuses_each_quantized_convolution_into_QLinearConv_whatever_the_opset(long opset)
    {
        var parent = GeneratedModels.TwoConvolutions(opset);
        var result = Transform.Apply(Input(parent, Calibration("random images", [Image(1, 4)])));

        var optimized = Path.Combine(Path.GetTempPath(), $"int8-static-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimized })
            using (new InferenceSession(result.Bytes, options))
            {
            }

            var operators = OnnxModelFile.Read(File.ReadAllBytes(optimized)).Graph.Node.Select(node => node.OpType).ToList();
            Assert.Equal(2, operators.Count(op => op == "QLinearConv"));
            Assert.DoesNotContain("Conv", operators);
        }
        finally
        {
            File.Delete(optimized);
        }
    }

    [Fact]
    public void A_known_activation_range_gives_the_known_scale_and_zero_point()
    {
        // One calibration image whose values run from −1 to 3; weights 1.27 and −0.127 on two output channels.
        var values = Enumerable.Range(0, 16).Select(i => -1f + 4f * i / 15).ToArray();
        var calibration = Calibration("hand-made", [new FloatTensor(values, [1, 1, 4, 4])]);

        var quantized = OnnxModelFile.Read(Transform.Apply(Input(GeneratedModels.Pointwise(1.27f, -0.127f), calibration)).Bytes);

        // uint8 asymmetric: scale = (3 − (−1)) / 255, zero point = round(1 / scale) = round(63.75) = 64.
        Assert.Equal(4f / 255, Floats(quantized, "x_scale").Single(), 1e-7f);
        Assert.Equal([64], Bytes(quantized, "x_zero_point"));
        // The output spans [−1.27, 3.81]: scale 5.08 / 255, zero point round(1.27 / scale) = round(63.75) = 64.
        Assert.Equal(5.08f / 255, Floats(quantized, "y_scale").Single(), 1e-6f);
        Assert.Equal([64], Bytes(quantized, "y_zero_point"));
        // int8 symmetric per output channel: scale = largest magnitude / 127; each weight is then ±127.
        Assert.Equal([0.01f, 0.001f], Floats(quantized, "w_scale").Select(scale => MathF.Round(scale, 6)));
        Assert.Equal([127, unchecked((byte)-127)], Bytes(quantized, "w_quantized"));
        Assert.DoesNotContain(quantized.Graph.Initializer, tensor => tensor.Name == "w");
    }

    [Fact]
    public void Percentile_calibration_clips_an_outlier_that_minmax_keeps()
    {
        // 10,000 values: 9,999 spread over [0, 1) and one at 100.
        var values = Enumerable.Range(0, 10_000).Select(i => i == 5_000 ? 100f : i / 10_000f).ToArray();
        var calibration = Calibration("one outlier", [new FloatTensor(values, [625, 1, 4, 4])]);

        var minMax = OnnxModelFile.Read(Transform.Apply(Input(GeneratedModels.Pointwise(1f), calibration)).Bytes);
        var percentile = OnnxModelFile.Read(Transform.Apply(Input(GeneratedModels.Pointwise(1f), calibration,
            new TransformOptions { Calibration = CalibrationMethod.Percentile, Percentile = 99.9 })).Bytes);

        Assert.Equal(100f / 255, Floats(minMax, "x_scale").Single(), 1e-6f);
        // 99.9 % cuts 5 values from each tail: the range ends at the histogram bin holding 1.0 (bins 200/4096 wide).
        var clipped = Floats(percentile, "x_scale").Single() * 255;
        Assert.InRange(clipped, 0.99f, 1.05f);
    }

    [Fact]
    public void Without_calibration_inputs_the_transform_is_refused_with_the_reason()
    {
        var refused = Assert.Throws<TransformRefusedException>(() => Transform.Apply(Input(GeneratedModels.TwoConvolutions(opset: 13), CalibrationData.None)));

        Assert.Equal("int8-static needs calibration inputs: upload samples or use a model with an evaluation set", refused.Message);
    }

    [Fact]
    public void A_model_without_conv_matmul_or_gemm_is_refused_with_the_reason()
    {
        var calibration = Calibration("random", [new FloatTensor(new float[16], [2, 8])]);

        var refused = Assert.Throws<TransformRefusedException>(() => Transform.Apply(Input(GeneratedModels.WithReduction(), calibration)));

        Assert.Equal("int8-static quantizes Conv, MatMul and Gemm nodes with constant FP32 weights: this model has none", refused.Message);
    }

    [Fact]
    public void Calibration_inputs_naming_an_input_the_model_lacks_are_refused()
    {
        var calibration = new CalibrationData("uploaded", [new Dictionary<string, FloatTensor> { ["images"] = Image(1, 1) }]);

        var refused = Assert.Throws<TransformRefusedException>(() => Transform.Apply(Input(GeneratedModels.TwoConvolutions(opset: 13), calibration)));

        Assert.Equal("calibration batch 0 names the input 'images', which the model does not have: it has x", refused.Message);
    }

    [Fact]
    public void A_quantized_model_is_not_quantized_again()
    {
        var once = Transform.Apply(Input(GeneratedModels.TwoConvolutions(opset: 13), Calibration("random images", [Image(1, 2)])));

        var refused = Assert.Throws<TransformRefusedException>(() =>
            Transform.Apply(new TransformInput(once.Bytes, OnnxModelFile.Read(once.Bytes), TransformOptions.Default, Calibration("random images", [Image(1, 2)]))));

        Assert.Equal("the model is already quantized (it has a QuantizeLinear node)", refused.Message);
    }

    [Theory]
    [InlineData(CalibrationMethod.MinMax)]
    [InlineData(CalibrationMethod.Percentile)]
    public void The_quantized_direction_classifier_keeps_its_accuracy_within_0_02(CalibrationMethod method)
    {
        var (parent, quantized) = QuantizeSample(SampleModels.TextDirection, OcrTask.Direction, method);

        var before = Transforming.Headline(SampleModels.TextDirection, parent);
        var after = Transforming.Headline(SampleModels.TextDirection, quantized);

        Assert.True(after >= before - 0.02, $"accuracy {after:F4} against the parent's {before:F4}; the tolerance is 0.02");
    }

    [Fact]
    public void The_quantized_detector_keeps_its_box_F1_within_0_02()
    {
        var (parent, quantized) = QuantizeSample(SampleModels.TextDetection, OcrTask.Detection, CalibrationMethod.MinMax);

        var before = Transforming.Headline(SampleModels.TextDetection, parent);
        var after = Transforming.Headline(SampleModels.TextDetection, quantized);

        Assert.True(after >= before - 0.02, $"box F1 {after:F4} against the parent's {before:F4}; the issue's target is a drop of at most 0.02");
    }

    private static (byte[] Parent, byte[] Quantized) QuantizeSample(string model, OcrTask task, CalibrationMethod method)
    {
        var parent = File.ReadAllBytes(RepositoryPaths.Model(model));
        var calibration = Calibration("OCR evaluation set (seed 12, 40 lines, 4 pages)", OcrTaskEvaluation.CalibrationInputs(task, Transforming.Set.Value));
        var result = Transform.Apply(new TransformInput(parent, OnnxModelFile.Read(parent), new TransformOptions { Calibration = method }, calibration));
        Assert.True((int)result.Details["nodes_quantized"] > 0);
        return (parent, result.Bytes);
    }

    private static FloatTensor Image(int seed, int batch) => new(SampleModels.RandomImage(seed, batch, 3, 16, 16), [batch, 3, 16, 16]);

    private static TransformInput Input(ModelProto model, CalibrationData calibration, TransformOptions? options = null)
    {
        var bytes = OnnxModelFile.Write(model);
        return new TransformInput(bytes, OnnxModelFile.Read(bytes), options ?? TransformOptions.Default, calibration);
    }

    /// <summary>Calibration batches of the one input <c>x</c>.</summary>
    private static CalibrationData Calibration(string source, IEnumerable<FloatTensor> batches) =>
        new(source, [.. batches.Select(batch => (IReadOnlyDictionary<string, FloatTensor>)new Dictionary<string, FloatTensor> { ["x"] = batch })]);

    /// <summary>The values of an FP32 initializer of a model.</summary>
    private static float[] Floats(ModelProto model, string name) => TensorData.ReadFloats(model.Graph.Initializer.Single(tensor => tensor.Name == name));

    private static byte[] Bytes(ModelProto model, string name) => model.Graph.Initializer.Single(tensor => tensor.Name == name).RawData.ToByteArray();
}
