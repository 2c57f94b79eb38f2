using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using AiFactory.Evaluation.Running;
using Google.Protobuf;
using System.Runtime.InteropServices;

namespace AiFactory.Tests.Optimization;

/// <summary>Small convolutional models built in code, with known weights, for the quantization tests.</summary>
internal static class QdqModels
{
    /// <summary>x [N,3,16,16] → Conv 3×3 (8 channels, bias) → Relu → Conv 3×3 (4 channels, bias) → y, weights random from the seed.</summary>
    public static ModelProto TwoConvolutions(int seed, long opset = 13)
    {
        var random = new Random(seed);
        float[] Random(int count, float spread) => [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2 - 1) * spread)];

        var graph = new GraphProto { Name = "two-convolutions" };
        graph.Input.Add(Value("x", "N", 3, 16, 16));
        graph.Output.Add(Value("y", "N", 4, 16, 16));
        graph.Initializer.Add(Tensor("w1", [8, 3, 3, 3], Random(8 * 27, 0.5f)));
        graph.Initializer.Add(Tensor("b1", [8], Random(8, 0.2f)));
        graph.Initializer.Add(Tensor("w2", [4, 8, 3, 3], Random(4 * 72, 0.3f)));
        graph.Initializer.Add(Tensor("b2", [4], Random(4, 0.2f)));
        graph.Node.Add(Conv("x", "w1", "b1", "h"));
        graph.Node.Add(Node("Relu", ["h"], "r"));
        graph.Node.Add(Conv("r", "w2", "b2", "y"));
        return Model(graph, opset);
    }

    /// <summary>x [N,1,4,4] → Conv 1×1 with the given per-channel weights (no bias) → y [N,C,4,4].</summary>
    public static ModelProto Pointwise(params float[] channelWeights)
    {
        var graph = new GraphProto { Name = "pointwise" };
        graph.Input.Add(Value("x", "N", 1, 4, 4));
        graph.Output.Add(Value("y", "N", channelWeights.Length, 4, 4));
        graph.Initializer.Add(Tensor("w", [channelWeights.Length, 1, 1, 1], channelWeights));
        graph.Node.Add(Node("Conv", ["x", "w"], "y"));
        return Model(graph);
    }

    /// <summary>x → Relu → y: nothing int8-static quantizes.</summary>
    public static ModelProto ReluOnly()
    {
        var graph = new GraphProto { Name = "relu" };
        graph.Input.Add(Value("x", "N", 4));
        graph.Output.Add(Value("y", "N", 4));
        graph.Node.Add(Node("Relu", ["x"], "y"));
        return Model(graph);
    }

    public static TransformInput Input(ModelProto model, CalibrationData calibration, TransformOptions? options = null)
    {
        var bytes = OnnxModelFile.Write(model);
        return new TransformInput(bytes, OnnxModelFile.Read(bytes), options ?? TransformOptions.Default, calibration);
    }

    /// <summary>Calibration batches of one input named <c>x</c>.</summary>
    public static CalibrationData Calibration(string source, IEnumerable<FloatTensor> batches) =>
        new(source, [.. batches.Select(batch => (IReadOnlyDictionary<string, FloatTensor>)new Dictionary<string, FloatTensor> { ["x"] = batch })]);

    /// <summary>The float value of a scalar or 1-D initializer of a model.</summary>
    public static float[] Floats(ModelProto model, string name) =>
        MemoryMarshal.Cast<byte, float>(model.Graph.Initializer.Single(tensor => tensor.Name == name).RawData.Span).ToArray();

    public static byte[] Bytes(ModelProto model, string name) => model.Graph.Initializer.Single(tensor => tensor.Name == name).RawData.ToByteArray();

    private static ModelProto Model(GraphProto graph, long opset = 13)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "AiFactory.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private static NodeProto Conv(string input, string weight, string bias, string output)
    {
        var node = Node("Conv", [input, weight, bias], output);
        var pads = new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints };
        pads.Ints.AddRange([1, 1, 1, 1]);
        node.Attribute.Add(pads);
        return node;
    }

    private static NodeProto Node(string opType, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{output}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static TensorProto Tensor(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static ValueInfoProto Value(string name, string batch, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        shape.Dim.AddRange(dims.Select(dim => new TensorShapeProto.Types.Dimension { DimValue = dim }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
