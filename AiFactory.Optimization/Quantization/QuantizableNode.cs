using AiFactory.Optimization.Onnx;

namespace AiFactory.Optimization.Quantization;

/// <summary>
/// A node int8-static quantizes: its activation input, its constant FP32 weight, its bias (Conv) and its output.
/// Conv, MatMul and Gemm only: they hold nearly all the arithmetic of the CNNs served here, and ONNX Runtime's CPU
/// provider fuses each QDQ group into one integer kernel (QLinearConv, QLinearMatMul, QGemm). The Add, Mul, Div and
/// Clip around them are mostly the hard-swish and hard-sigmoid chains of MobileNetV3-style models,
/// x · clip(x + 3, 0, 6) / 6, whose Div and Clip have no integer kernel: quantizing their Add and Mul would put more
/// Q/DQ pairs (rounding and conversion work) inside float chains without forming a run of integer operators.
/// </summary>
/// <param name="WeightAxis">
/// The output-channel axis of a per-channel weight (Conv: 0: folded BatchNormalization leaves channels of very
/// different magnitudes), or null for one scale per tensor (MatMul, Gemm).
/// </param>
internal sealed record QuantizableNode(NodeProto Node, string Activation, TensorProto Weight, TensorProto? Bias, int? WeightAxis)
{
    public string Output => Node.Output[0];

    /// <summary>The nodes of the graph that int8-static quantizes, in graph order.</summary>
    public static IReadOnlyList<QuantizableNode> Find(GraphProto graph)
    {
        var initializers = graph.Initializer.ToDictionary(tensor => tensor.Name, StringComparer.Ordinal);
        var found = new List<QuantizableNode>();
        foreach (var node in graph.Node)
        {
            if (node.Input.Count < 2 || initializers.ContainsKey(node.Input[0])
                || !initializers.TryGetValue(node.Input[1], out var weight) || TensorData.TypeOf(weight) != TensorProto.Types.DataType.Float)
            {
                continue;
            }

            switch (node.OpType)
            {
                case "Conv" when weight.Dims.Count >= 3:
                    var bias = node.Input.Count > 2 && initializers.TryGetValue(node.Input[2], out var b) && TensorData.TypeOf(b) == TensorProto.Types.DataType.Float ? b : null;
                    found.Add(new(node, node.Input[0], weight, bias, WeightAxis: 0));
                    break;
                case "MatMul" or "Gemm" when weight.Dims.Count == 2:
                    // Gemm's C stays FP32: ONNX Runtime then runs it as DequantizeLinear + Gemm where it cannot fuse.
                    found.Add(new(node, node.Input[0], weight, null, null));
                    break;
            }
        }

        return found;
    }
}
