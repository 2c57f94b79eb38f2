using AiFactory.Optimization.Onnx;
using DataType = AiFactory.Optimization.Onnx.TensorProto.Types.DataType;

namespace AiFactory.Optimization.Transforms;

/// <summary>What <see cref="Fp16Plan.Rewrite"/> did, for the version's lineage.</summary>
internal sealed record Fp16Rewrite(int NodesConverted, int NodesKept, int CastsAdded, int ConstantsConverted, int ValuesClamped);

/// <summary>
/// The FP16 rewrite of one graph, in place. Each FP32 value gets a precision: its producer's (FP16 for a converted
/// node, FP32 for a kept one and for graph inputs), and for a constant FP16 only when every reader is a converted
/// node. Each reader wants FP16 (a converted node) or FP32 (a kept node, a graph output); where the two differ a Cast
/// goes in between, one per value and precision, placed just before its first reader so the node order stays
/// topological.
/// </summary>
internal sealed class Fp16Plan(GraphProto graph, IReadOnlyDictionary<string, DataType> probedTypes, IReadOnlySet<string> keptOperators)
{
    private readonly Dictionary<string, DataType> types = new(probedTypes, StringComparer.Ordinal);
    private readonly GraphConstants constants = new(graph);
    private readonly GraphNames names = new(graph);
    private readonly HashSet<string> fp16Values = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Value, DataType To), string> casts = [];

    public Fp16Rewrite Rewrite()
    {
        // By reference: protobuf messages compare by value, and the rewrite below changes the nodes.
        var converted = graph.Node.Where(Converts).ToHashSet(ReferenceEqualityComparer.Instance);
        var outputs = graph.Output.Select(output => output.Name).ToHashSet(StringComparer.Ordinal);
        var readers = graph.Node.SelectMany(node => node.Input.Select(value => (value, node))).ToLookup(pair => pair.value, pair => pair.node);

        int nodesConverted = 0, nodesKept = 0, constantsConverted = 0, clamped = 0;
        foreach (var node in graph.Node)
        {
            var touchesFloat = node.Input.Concat(node.Output).Any(IsFloat);
            if (constants.IsConstantNode(node))
            {
                continue;
            }

            if (converted.Contains(node))
            {
                nodesConverted += touchesFloat ? 1 : 0;
                fp16Values.UnionWith(node.Output.Where(IsFloat));
                RetypeAttributes(node);
            }
            else
            {
                nodesKept += touchesFloat ? 1 : 0;
            }
        }

        // A constant becomes FP16 where only converted nodes read it; one a kept node reads stays exact for it.
        var constantValues = graph.Initializer.Select(tensor => tensor.Name)
            .Concat(graph.Node.Where(constants.IsConstantNode).Select(node => node.Output[0]));
        foreach (var value in constantValues.Where(IsFloat).ToList())
        {
            var read = readers[value].ToList();
            if (read.Count == 0 || outputs.Contains(value) || !read.All(converted.Contains) || !constants.TryGet(value, out var tensor))
            {
                continue;
            }

            constants.Replace(value, TensorData.Float16(value, tensor.Dims, TensorData.ReadFloats(tensor), out var clampedHere));
            fp16Values.Add(value);
            constantsConverted++;
            clamped += clampedHere;
        }

        var renamedOutputs = RenameFp16Outputs(outputs);
        var nodes = new List<NodeProto>(graph.Node.Count);
        foreach (var node in graph.Node)
        {
            var wanted = converted.Contains(node) ? DataType.Float16 : DataType.Float;
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (IsFloat(node.Input[i]) && PrecisionOf(node.Input[i]) != wanted)
                {
                    node.Input[i] = CastOf(node.Input[i], wanted, nodes);
                }
            }

            nodes.Add(node);
        }

        foreach (var (original, renamed) in renamedOutputs)
        {
            nodes.Add(CastNode(renamed, original, DataType.Float));
        }

        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        foreach (var info in graph.ValueInfo.Where(info => fp16Values.Contains(info.Name) && info.Type?.TensorType is not null))
        {
            info.Type.TensorType.ElemType = (int)DataType.Float16;
        }

        return new Fp16Rewrite(nodesConverted, nodesKept, casts.Count + renamedOutputs.Count, constantsConverted, clamped);
    }

    /// <summary>
    /// Whether a node computes in FP16: not on the kept list, in the default domain (other domains' type constraints
    /// are unknown here), and either reading an FP32 value (its outputs then follow its inputs' type) or one of the
    /// operators whose output type is an attribute this rewrites. A node that makes FP32 out of nothing else (a random
    /// generator, EyeLike) stays FP32.
    /// </summary>
    private bool Converts(NodeProto node)
    {
        if (keptOperators.Contains(node.OpType) || node.Domain is not ("" or "ai.onnx") || HasStatisticsBeyondFp16(node))
        {
            return false;
        }

        return node.OpType is "Cast" or "ConstantOfShape" || constants.IsConstantNode(node)
            || node.Input.Any(IsFloat) || !node.Output.Any(IsFloat);
    }

    /// <summary>
    /// A BatchNormalization whose statistics FP16 cannot hold: a mean or variance beyond 65,504 (clamping it would
    /// normalize by the wrong value) or a variance below FP16's smallest normal number (rounded to few bits or to
    /// zero, 1/sqrt(variance + epsilon) moves by orders of magnitude). The detector's head has such statistics: in
    /// FP16 they took box F1 on the evaluation set from 1.0 to 0.58. The classifier's 35 are safe and convert.
    /// </summary>
    private bool HasStatisticsBeyondFp16(NodeProto node)
    {
        if (node.OpType != "BatchNormalization" || node.Input.Count != 5)
        {
            return false;
        }

        bool Any(int input, Func<float, bool> predicate) => constants.TryGet(node.Input[input], out var tensor)
            && TensorData.TypeOf(tensor) == DataType.Float && TensorData.ReadFloats(tensor).Any(predicate);

        return Enumerable.Range(1, 4).Any(input => Any(input, value => Math.Abs(value) > TensorData.MaxFloat16))
            || Any(4, value => value > 0 && value < SmallestNormalFloat16);
    }

    private const float SmallestNormalFloat16 = 6.1035156e-5f;

    /// <summary>Cast to FP32 becomes Cast to FP16; ConstantOfShape's FP32 fill value (FP32 zero when absent) becomes FP16.</summary>
    private void RetypeAttributes(NodeProto node)
    {
        if (node.OpType == "Cast")
        {
            foreach (var to in node.Attribute.Where(a => a.Name == "to" && a.I == (long)DataType.Float))
            {
                to.I = (long)DataType.Float16;
            }
        }
        else if (node.OpType == "ConstantOfShape" && node.Output.Any(IsFloat))
        {
            var value = node.Attribute.FirstOrDefault(a => a.Name == "value");
            var fill = value?.T is { } tensor ? TensorData.ReadFloats(tensor) : [0f];
            var fp16 = TensorData.Float16("", [1], fill, out _);
            if (value is null)
            {
                node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = fp16 });
            }
            else
            {
                value.T = fp16;
            }
        }
    }

    /// <summary>
    /// A graph output computed in FP16 is renamed where it is made and read, and a Cast to FP32 under its own name
    /// ends the graph, so callers keep the name and the type they had.
    /// </summary>
    private List<(string Original, string Renamed)> RenameFp16Outputs(HashSet<string> outputs)
    {
        var renamed = new List<(string, string)>();
        foreach (var output in outputs.Where(fp16Values.Contains))
        {
            var fp16 = names.Fresh($"{output}_fp16");
            foreach (var node in graph.Node)
            {
                Rename(node.Input, output, fp16);
                Rename(node.Output, output, fp16);
            }

            fp16Values.Add(fp16);
            types[fp16] = DataType.Float;
            renamed.Add((output, fp16));
        }

        return renamed;
    }

    private static void Rename(Google.Protobuf.Collections.RepeatedField<string> values, string from, string to)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] == from)
            {
                values[i] = to;
            }
        }
    }

    private string CastOf(string value, DataType to, List<NodeProto> nodes)
    {
        if (!casts.TryGetValue((value, to), out var cast))
        {
            cast = names.Fresh($"{value}_{(to == DataType.Float16 ? "fp16" : "fp32")}");
            nodes.Add(CastNode(value, cast, to));
            casts[(value, to)] = cast;
        }

        return cast;
    }

    private NodeProto CastNode(string from, string to, DataType type)
    {
        var node = new NodeProto { Name = names.Fresh($"{to}_cast"), OpType = "Cast", Input = { from }, Output = { to } };
        node.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)type });
        return node;
    }

    private DataType PrecisionOf(string value) => fp16Values.Contains(value) ? DataType.Float16 : DataType.Float;

    private bool IsFloat(string value) => value.Length > 0 && types.TryGetValue(value, out var type) && type == DataType.Float;
}
