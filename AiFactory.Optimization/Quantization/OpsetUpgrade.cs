using AiFactory.Optimization.Onnx;

namespace AiFactory.Optimization.Quantization;

/// <summary>
/// Raises a model of ONNX opset 9 or 10 to 11, the opset ONNX Runtime's QDQ fusions write into (QLinearConv needs
/// 10; the MatMul + Add fusion emits Round, 11). From 9 to 11 most operators keep their meaning; Clip and Slice
/// moved attributes to inputs, and are rewritten here; the others that changed (Pad, TopK, Upsample, Resize, and
/// anything with a subgraph, which this does not walk) are refused rather than guessed at.
/// </summary>
internal static class OpsetUpgrade
{
    public const long Target = 11;

    private const long Oldest = 9;

    private static readonly HashSet<string> Unconvertible = ["Pad", "TopK", "Upsample", "Resize", "Scan", "Loop", "If"];

    public static ModelProto ToTarget(ModelProto model)
    {
        var opset = OnnxModelFile.Opset(model);
        if (opset >= Target)
        {
            return model;
        }

        if (opset < Oldest)
        {
            throw new TransformRefusedException($"the model imports ONNX opset {opset}: int8-static raises opsets {Oldest} and {Oldest + 1} to {Target}, not older ones");
        }

        var copy = model.Clone();
        var names = new GraphNames(copy.Graph);
        foreach (var node in copy.Graph.Node.Where(node => node.Domain is "" or "ai.onnx"))
        {
            if (Unconvertible.Contains(node.OpType))
            {
                throw new TransformRefusedException($"the model imports ONNX opset {opset} and has a {node.OpType} node, whose meaning changed before opset {Target}: int8-static does not convert it");
            }

            switch (node.OpType)
            {
                case "Clip":
                    MoveToInputs(copy.Graph, node, names, ("min", Float), ("max", Float));
                    break;
                case "Slice" when opset < 10:
                    MoveToInputs(copy.Graph, node, names, ("starts", Ints), ("ends", Ints), ("axes", Ints));
                    break;
            }
        }

        foreach (var import in copy.OpsetImport.Where(import => import.Domain is "" or "ai.onnx"))
        {
            import.Version = Target;
        }

        return copy;
    }

    /// <summary>Each named attribute becomes the node's next input, an initializer; a missing one an empty (omitted) input.</summary>
    private static void MoveToInputs(GraphProto graph, NodeProto node, GraphNames names, params (string Attribute, Func<string, AttributeProto, TensorProto> Tensor)[] inputs)
    {
        var trailing = new List<string>();
        foreach (var (attribute, tensor) in inputs)
        {
            if (node.Attribute.FirstOrDefault(a => a.Name == attribute) is not { } value)
            {
                trailing.Add("");
                continue;
            }

            var name = names.Fresh($"{node.Output[0]}_{attribute}");
            graph.Initializer.Add(tensor(name, value));
            node.Attribute.Remove(value);
            node.Input.AddRange(trailing);
            trailing.Clear();
            node.Input.Add(name);
        }
    }

    private static TensorProto Float(string name, AttributeProto value) => TensorData.Float(name, [], [value.F]);

    private static TensorProto Ints(string name, AttributeProto value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(value.Ints.Count);
        tensor.Int64Data.AddRange(value.Ints);
        return tensor;
    }
}
