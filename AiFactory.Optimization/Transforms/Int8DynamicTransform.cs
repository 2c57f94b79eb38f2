using AiFactory.Optimization.Onnx;
using DataType = AiFactory.Optimization.Onnx.TensorProto.Types.DataType;

namespace AiFactory.Optimization.Transforms;

/// <summary>
/// <c>int8-dynamic</c>: the constant FP32 weights of MatMul (and of Gemm that is a MatMul plus a bias) to INT8, per
/// output column, symmetric; activations are quantized at run time. Each such node becomes ONNX Runtime's
/// <c>com.microsoft.DynamicQuantizeMatMul</c>, which quantizes A to UINT8 per call and multiplies it by the prepacked
/// INT8 weights with per-column scales in one kernel (u8×s8, the fast path on VNNI CPUs), the bias added in FP32.
/// Per-column scales keep a column of small weights from being rounded away by another column's large ones.
/// </summary>
public sealed class Int8DynamicTransform : IModelTransform
{
    private const string MicrosoftDomain = "com.microsoft";

    public string Name => "int8-dynamic";

    public TransformResult Apply(TransformInput input)
    {
        var model = input.Model.Clone();
        var graph = model.Graph;
        var constants = new GraphConstants(graph);
        var names = new GraphNames(graph);

        var eligible = graph.Node.Select(node => (Node: node, Weights: Eligible(node, constants))).Where(pair => pair.Weights is not null).ToList();
        if (eligible.Count == 0)
        {
            var convolutions = graph.Node.Count(node => node.OpType is "Conv" or "ConvTranspose");
            throw new TransformRefusedException("int8-dynamic applies to MatMul/Gemm with constant weights; the model has none"
                + (convolutions > 0 ? $": it is convolutional ({convolutions} Conv nodes); use int8-static" : ""));
        }

        long weightBytesBefore = 0, weightBytesAfter = 0;
        foreach (var (node, weights) in eligible)
        {
            var (matrix, rows, columns, bias) = weights!.Value;
            var (quantized, scales) = PerColumnInt8.Quantize(matrix, rows, columns);
            var stem = node.Name.Length > 0 ? node.Name : node.Output[0];
            var weightName = names.Fresh($"{stem}_weight_int8");
            var scaleName = names.Fresh($"{stem}_weight_scale");
            graph.Initializer.Add(TensorData.Int8(weightName, [rows, columns], quantized));
            graph.Initializer.Add(TensorData.Float(scaleName, [columns], scales));
            List<string> inputs = [node.Input[0], weightName, scaleName];
            if (bias is not null)
            {
                var biasName = names.Fresh($"{stem}_bias");
                graph.Initializer.Add(TensorData.Float(biasName, [columns], bias));
                inputs.AddRange(["", biasName]);
            }

            weightBytesBefore += matrix.Length * 4L;
            weightBytesAfter += quantized.Length + scales.Length * 4L;

            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = MicrosoftDomain;
            node.Attribute.Clear();
            node.Input.Clear();
            node.Input.AddRange(inputs);
        }

        GraphConstants.RemoveUnused(graph);
        if (!model.OpsetImport.Any(import => import.Domain == MicrosoftDomain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }

        var bytes = OnnxModelFile.Write(model);
        return new TransformResult(bytes, new Dictionary<string, object>
        {
            ["nodes_quantized"] = eligible.Count,
            ["weight_bytes_before"] = weightBytesBefore,
            ["weight_bytes_after"] = weightBytesAfter,
            ["size_before"] = (long)input.Bytes.Length,
            ["size_after"] = (long)bytes.Length,
        });
    }

    /// <summary>
    /// The weights of a MatMul whose B is a constant FP32 matrix, or of a Gemm that computes A·B + bias (alpha 1, A
    /// not transposed, B constant — transposed back to [K, N] when transB says so — and C absent or a constant
    /// vector of N); null for any other node.
    /// </summary>
    private static (float[] Matrix, int Rows, int Columns, float[]? Bias)? Eligible(NodeProto node, GraphConstants constants)
    {
        if (node.Domain is not ("" or "ai.onnx") || node.OpType is not ("MatMul" or "Gemm") || node.Input.Count < 2
            || !constants.TryGet(node.Input[1], out var b) || TensorData.TypeOf(b) != DataType.Float || b.Dims.Count != 2)
        {
            return null;
        }

        var (rows, columns) = ((int)b.Dims[0], (int)b.Dims[1]);
        var matrix = TensorData.ReadFloats(b);
        if (node.OpType == "MatMul")
        {
            return (matrix, rows, columns, null);
        }

        if (NodeAttributes.Float(node, "alpha", 1f) != 1f || NodeAttributes.Int(node, "transA", 0) != 0)
        {
            return null;
        }

        if (NodeAttributes.Int(node, "transB", 0) != 0)
        {
            matrix = Transpose(matrix, rows, columns);
            (rows, columns) = (columns, rows);
        }

        if (node.Input.Count < 3 || node.Input[2].Length == 0)
        {
            return (matrix, rows, columns, null);
        }

        var beta = NodeAttributes.Float(node, "beta", 1f);
        if (!constants.TryGet(node.Input[2], out var c) || TensorData.TypeOf(c) != DataType.Float
            || TensorData.ElementCount(c) != columns || c.Dims.Take(c.Dims.Count - 1).Any(dimension => dimension != 1))
        {
            return null;
        }

        return (matrix, rows, columns, TensorData.ReadFloats(c).Select(value => value * beta).ToArray());
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var transposed = new float[matrix.Length];
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                transposed[column * rows + row] = matrix[row * columns + column];
            }
        }

        return transposed;
    }
}
