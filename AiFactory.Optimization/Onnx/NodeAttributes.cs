namespace AiFactory.Optimization.Onnx;

/// <summary>A node's attributes by name, with the defaults ONNX gives the ones left out.</summary>
public static class NodeAttributes
{
    public static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(attribute => attribute.Name == name) is { } found ? found.I : fallback;

    public static float Float(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(attribute => attribute.Name == name) is { } found ? found.F : fallback;
}
