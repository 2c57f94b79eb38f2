namespace AiFactory.Optimization.Onnx;

/// <summary>
/// The constant tensors of a graph by value name: its initializers (those that are not also graph inputs, which a
/// caller could override) and the outputs of its <c>Constant</c> nodes, where exporters such as Paddle2ONNX keep the
/// weights. Rewriting a constant goes through here so both places are handled alike.
/// </summary>
public sealed class GraphConstants
{
    private readonly GraphProto graph;
    private readonly Dictionary<string, TensorProto> initializers;
    private readonly Dictionary<string, NodeProto> constantNodes;

    public GraphConstants(GraphProto graph)
    {
        this.graph = graph;
        var inputs = graph.Input.Select(value => value.Name).ToHashSet(StringComparer.Ordinal);
        initializers = graph.Initializer.Where(tensor => !inputs.Contains(tensor.Name)).ToDictionary(tensor => tensor.Name, StringComparer.Ordinal);
        constantNodes = graph.Node.Where(node => node.OpType == "Constant" && node.Domain is "" or "ai.onnx" && ValueAttribute(node) is not null)
            .ToDictionary(node => node.Output[0], StringComparer.Ordinal);
    }

    /// <summary>The tensor behind a value, when the value is a constant.</summary>
    public bool TryGet(string value, out TensorProto tensor)
    {
        if (initializers.TryGetValue(value, out tensor!))
        {
            return true;
        }

        if (constantNodes.TryGetValue(value, out var node))
        {
            tensor = ValueAttribute(node)!.T;
            return true;
        }

        return false;
    }

    /// <summary>Whether <paramref name="node"/> is a <c>Constant</c> whose tensor this lookup holds.</summary>
    public bool IsConstantNode(NodeProto node) => node.OpType == "Constant" && node.Output.Count == 1
        && constantNodes.TryGetValue(node.Output[0], out var known) && ReferenceEquals(known, node);

    /// <summary>Puts <paramref name="tensor"/> (of the same name) in place of the constant value's tensor.</summary>
    public void Replace(string value, TensorProto tensor)
    {
        tensor.Name = value;
        if (initializers.TryGetValue(value, out var old))
        {
            graph.Initializer[graph.Initializer.IndexOf(old)] = tensor;
            initializers[value] = tensor;
        }
        else if (constantNodes.TryGetValue(value, out var node))
        {
            ValueAttribute(node)!.T = tensor;
        }
        else
        {
            throw new InvalidOperationException($"'{value}' is not a constant of the graph");
        }
    }

    /// <summary>
    /// Removes the constants no node reads and no graph output names: what is left of weights a transform replaced.
    /// </summary>
    public static void RemoveUnused(GraphProto graph)
    {
        var read = graph.Node.SelectMany(node => node.Input).Concat(graph.Output.Select(value => value.Name)).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Select(value => value.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer.Where(tensor => !read.Contains(tensor.Name) && !inputs.Contains(tensor.Name)).ToList())
        {
            graph.Initializer.Remove(tensor);
        }

        foreach (var node in graph.Node.Where(node => node.OpType == "Constant" && node.Output.All(output => !read.Contains(output))).ToList())
        {
            graph.Node.Remove(node);
        }
    }

    private static AttributeProto? ValueAttribute(NodeProto node) =>
        node.Attribute.FirstOrDefault(attribute => attribute.Name == "value" && attribute.T is not null);
}
