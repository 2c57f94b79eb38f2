namespace AiFactory.Optimization.Onnx;

/// <summary>
/// Fresh value and node names for a graph being rewritten: every name a transform adds must differ from every name
/// the graph holds (values, nodes, initializers, inputs, outputs) and from the ones added before it.
/// </summary>
public sealed class GraphNames
{
    private readonly HashSet<string> taken = new(StringComparer.Ordinal);

    public GraphNames(GraphProto graph)
    {
        taken.UnionWith(graph.Input.Select(value => value.Name));
        taken.UnionWith(graph.Output.Select(value => value.Name));
        taken.UnionWith(graph.Initializer.Select(tensor => tensor.Name));
        foreach (var node in graph.Node)
        {
            taken.Add(node.Name);
            taken.UnionWith(node.Input);
            taken.UnionWith(node.Output);
        }
    }

    /// <summary><paramref name="stem"/> itself when it is free, else the stem with the first free number after it.</summary>
    public string Fresh(string stem)
    {
        var name = stem;
        for (var i = 1; !taken.Add(name); i++)
        {
            name = $"{stem}_{i}";
        }

        return name;
    }
}
