using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Quantization;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Optimization.Transforms;

/// <summary>
/// <c>int8-static</c>: QDQ quantization with calibration, for convolutional models (ONNX Runtime's advice: static
/// QDQ for CNNs, dynamic for transformers). The parent runs on the calibration inputs; the ranges of the activations
/// into and out of each Conv, MatMul and Gemm (<see cref="QuantizableNode"/>) become uint8 scales; the weights
/// become int8, per output channel for Conv; Conv biases int32. ONNX Runtime's CPU provider fuses the QDQ groups
/// into QLinearConv and friends; ConvInteger, the other route, was 6–7× slower than FP32 here (DESIGN.md §9).
/// </summary>
public sealed class Int8StaticTransform : IModelTransform
{
    public const string NoCalibrationReason = "int8-static needs calibration inputs: upload samples or use a model with an evaluation set";

    /// <summary>DequantizeLinear's <c>axis</c>, which per-channel weights need, came with ONNX opset 13.</summary>
    private const long PerChannelOpset = 13;

    /// <summary>ONNX Runtime's operator set, whose QuantizeLinear and DequantizeLinear have <c>axis</c> under any ONNX opset.</summary>
    private const string OnnxRuntimeDomain = "com.microsoft";

    public string Name => "int8-static";

    public TransformResult Apply(TransformInput input)
    {
        if (input.Model.Graph.Node.FirstOrDefault(node => node.OpType is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv" or "QLinearMatMul"
                or "ConvInteger" or "MatMulInteger" or "DynamicQuantizeLinear") is { } quantizedNode)
        {
            throw new TransformRefusedException($"the model is already quantized (it has a {quantizedNode.OpType} node)");
        }

        var model = Prepare(input);
        var opset = OnnxModelFile.Opset(model);
        var nodes = QuantizableNode.Find(model.Graph);
        if (nodes.Count == 0)
        {
            throw new TransformRefusedException("int8-static quantizes Conv, MatMul and Gemm nodes with constant FP32 weights: this model has none");
        }

        if (input.Calibration.IsEmpty)
        {
            throw new TransformRefusedException(NoCalibrationReason);
        }

        if (input.Options.Calibration == CalibrationMethod.Percentile && input.Options.Percentile is not (> 90 and <= 100))
        {
            throw new TransformRefusedException($"percentile {input.Options.Percentile}: it must be in (90, 100]");
        }

        var activations = nodes.SelectMany(node => new[] { node.Activation, node.Output }).Distinct(StringComparer.Ordinal).ToArray();
        var percentile = input.Options.Calibration == CalibrationMethod.Percentile;
        var observed = ActivationCalibrator.Collect(model, activations, input.Calibration, histogram: percentile);
        if (observed.FirstOrDefault(pair => pair.Value.IsEmpty) is { Value: not null } empty)
        {
            throw new TransformRefusedException($"the calibration inputs gave the activation '{empty.Key}' no values");
        }

        var ranges = observed.ToDictionary(pair => pair.Key,
            pair => percentile ? pair.Value.Percentile(input.Options.Percentile) : (pair.Value.Min, pair.Value.Max), StringComparer.Ordinal);
        var bytes = OnnxModelFile.Write(QdqWriter.Write(model, nodes, ranges, opset >= PerChannelOpset ? "" : OnnxRuntimeDomain));
        EnsureLoads(bytes);

        return new TransformResult(bytes, new Dictionary<string, object>
        {
            ["calibration_source"] = input.Calibration.Source,
            ["calibration_batches"] = input.Calibration.Batches.Count,
            ["calibration_samples"] = input.Calibration.Batches.Sum(batch => batch.Values.First().Shape.FirstOrDefault(1)),
            ["method"] = percentile ? $"percentile {input.Options.Percentile}" : "minmax",
            ["activations"] = "uint8 asymmetric",
            ["weights"] = "int8 symmetric, per output channel (Conv), per tensor (MatMul, Gemm)",
            ["qdq_domain"] = opset >= PerChannelOpset ? "ai.onnx" : OnnxRuntimeDomain,
            ["nodes_quantized"] = nodes.Count,
            ["nodes_quantized_by_type"] = nodes.GroupBy(node => node.Node.OpType).ToDictionary(group => group.Key, group => group.Count()),
            ["tensors_calibrated"] = activations.Length,
        });
    }

    /// <summary>
    /// ONNX Runtime's basic graph optimization first, as its own quantization tools do (quant_pre_process): constant
    /// nodes become initializers, so weights are found, and BatchNormalization folds into the Conv before it, so the
    /// folded weights are what is quantized and nothing stands between a Conv and its output's QuantizeLinear. Then
    /// opset 9 and 10 are raised to the 11 the fused integer operators need (<see cref="OpsetUpgrade"/>).
    /// </summary>
    private static ModelProto Prepare(TransformInput input)
    {
        var optimized = new GraphOptimizationTransform().Apply(input with { Options = input.Options with { GraphLevel = "basic" } });
        return OpsetUpgrade.ToTarget(OnnxModelFile.Read(optimized.Bytes));
    }

    private static void EnsureLoads(byte[] bytes)
    {
        try
        {
            using var session = new InferenceSession(bytes);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException($"int8-static wrote a model ONNX Runtime cannot load: {e.Message}", e);
        }
    }
}
