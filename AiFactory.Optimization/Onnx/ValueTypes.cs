using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Optimization.Onnx;

/// <summary>
/// The element type of every tensor value of a graph, learnt from ONNX Runtime: there is no ONNX shape inference in
/// C#, but ONNX Runtime infers types when it loads a graph and reports the type of any value named as a graph output
/// (DESIGN.md §9). So a copy of the model names every node output as a graph output, and its session's metadata is read.
/// </summary>
public static class ValueTypes
{
    /// <exception cref="TransformRefusedException">ONNX Runtime cannot load the model.</exception>
    public static IReadOnlyDictionary<string, TensorProto.Types.DataType> Probe(ModelProto model)
    {
        var types = new Dictionary<string, TensorProto.Types.DataType>(StringComparer.Ordinal);
        foreach (var input in model.Graph.Input.Where(input => input.Type?.TensorType is not null))
        {
            types[input.Name] = (TensorProto.Types.DataType)input.Type.TensorType.ElemType;
        }

        foreach (var tensor in model.Graph.Initializer)
        {
            types.TryAdd(tensor.Name, (TensorProto.Types.DataType)tensor.DataType);
        }

        var probe = model.Clone();
        var named = probe.Graph.Output.Select(output => output.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var value in probe.Graph.Node.SelectMany(node => node.Output).Where(value => value.Length > 0 && named.Add(value)))
        {
            probe.Graph.Output.Add(new ValueInfoProto { Name = value });
        }

        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(OnnxModelFile.Write(probe), options);
            foreach (var (name, metadata) in session.OutputMetadata.Where(output => output.Value.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR))
            {
                types[name] = (TensorProto.Types.DataType)(int)metadata.ElementDataType;
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new TransformRefusedException($"ONNX Runtime could not load the model to learn its value types: {e.Message}");
        }

        return types;
    }
}
