using AiFactory.Optimization.Onnx;
using DataType = AiFactory.Optimization.Onnx.TensorProto.Types.DataType;

namespace AiFactory.Tests.Optimization;

/// <summary>
/// Small models built with the generated ONNX classes, each with the one feature a transform test needs, with
/// weights drawn from a seed. FP32 input <c>x</c>, FP32 output <c>y</c>; opset 17 unless said.
/// </summary>
internal static class GeneratedModels
{
    /// <summary>
    /// x [batch, 64] → MatMul by a [64, 32] initializer → Add a bias → Relu → Gemm with a [16, 32] weight held in a
    /// Constant node (transB = 1) and bias [16] → y [batch, 16]: a transformer's linear layers in miniature.
    /// </summary>
    public static ModelProto Linear()
    {
        var random = new Random(11);
        var graph = Graph("linear", [Value("x", DataType.Float, "batch", 64)], [Value("y", DataType.Float, "batch", 16)]);
        graph.Initializer.Add(Tensor("w1", random, 0.2f, 64, 32));
        graph.Initializer.Add(Tensor("b1", random, 0.1f, 32));
        graph.Initializer.Add(Tensor("b2", random, 0.1f, 16));
        graph.Node.Add(Constant("w2", Tensor("w2", random, 0.2f, 16, 32)));
        graph.Node.Add(Node("MatMul", ["x", "w1"], ["h1"]));
        graph.Node.Add(Node("Add", ["h1", "b1"], ["h2"]));
        graph.Node.Add(Node("Relu", ["h2"], ["h3"]));
        graph.Node.Add(Node("Gemm", ["h3", "w2", "b2"], ["y"], Int("transB", 1)));
        return Model(graph);
    }

    /// <summary>x [1, 3, 8, 8] → Conv with a [4, 3, 3, 3] weight → Relu → y: no MatMul at all.</summary>
    public static ModelProto Convolution()
    {
        var random = new Random(12);
        var graph = Graph("convolution", [Value("x", DataType.Float, 1, 3, 8, 8)], [Value("y", DataType.Float, 1, 4, 6, 6)]);
        graph.Initializer.Add(Tensor("w", random, 0.3f, 4, 3, 3, 3));
        graph.Node.Add(Node("Conv", ["x", "w"], ["c"]));
        graph.Node.Add(Node("Relu", ["c"], ["y"]));
        return Model(graph);
    }

    /// <summary>
    /// x [N, 3, 16, 16] → Conv 3×3 (8 channels, bias) → Relu → Conv 3×3 (4 channels, bias) → y [N, 4, 16, 16]: a CNN
    /// in miniature, at the given opset (the OCR sample models import 9 and 11).
    /// </summary>
    public static ModelProto TwoConvolutions(long opset)
    {
        var random = new Random(5);
        var graph = Graph("two-convolutions", [Value("x", DataType.Float, "N", 3, 16, 16)], [Value("y", DataType.Float, "N", 4, 16, 16)]);
        graph.Initializer.Add(Tensor("w1", random, 0.5f, 8, 3, 3, 3));
        graph.Initializer.Add(Tensor("b1", random, 0.2f, 8));
        graph.Initializer.Add(Tensor("w2", random, 0.3f, 4, 8, 3, 3));
        graph.Initializer.Add(Tensor("b2", random, 0.2f, 4));
        graph.Node.Add(Node("Conv", ["x", "w1", "b1"], ["h"], Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(Node("Relu", ["h"], ["r"]));
        graph.Node.Add(Node("Conv", ["r", "w2", "b2"], ["y"], Ints("pads", 1, 1, 1, 1)));
        return Model(graph, opset);
    }

    /// <summary>x [N, 1, 4, 4] → Conv 1×1 with one given weight per output channel, no bias → y [N, C, 4, 4].</summary>
    public static ModelProto Pointwise(params float[] channelWeights)
    {
        var graph = Graph("pointwise", [Value("x", DataType.Float, "N", 1, 4, 4)], [Value("y", DataType.Float, "N", channelWeights.Length, 4, 4)]);
        graph.Initializer.Add(TensorData.Float("w", [channelWeights.Length, 1, 1, 1], channelWeights));
        graph.Node.Add(Node("Conv", ["x", "w"], ["y"]));
        return Model(graph);
    }

    /// <summary>
    /// x [batch, 8] → Mul by a weight → Sigmoid → ReduceMean over the last axis (on FP16's always-FP32 list) →
    /// Add a constant → y [batch, 1].
    /// </summary>
    public static ModelProto WithReduction()
    {
        var random = new Random(13);
        var graph = Graph("reduction", [Value("x", DataType.Float, "batch", 8)], [Value("y", DataType.Float, "batch", 1)]);
        graph.Initializer.Add(Tensor("scale", random, 2f, 8));
        graph.Initializer.Add(Tensor("shift", random, 1f, 1));
        graph.Node.Add(Node("Mul", ["x", "scale"], ["scaled"]));
        graph.Node.Add(Node("Sigmoid", ["scaled"], ["activated"]));
        graph.Node.Add(Node("ReduceMean", ["activated"], ["mean"], Ints("axes", -1)));
        graph.Node.Add(Node("Add", ["mean", "shift"], ["y"]));
        return Model(graph);
    }

    /// <summary>x [2] → Mul by the constant [70000, -1e6] (both beyond FP16's 65,504) → y.</summary>
    public static ModelProto OutOfFp16Range()
    {
        var graph = Graph("large", [Value("x", DataType.Float, 2)], [Value("y", DataType.Float, 2)]);
        graph.Initializer.Add(TensorData.Float("large", [2], [70000f, -1e6f]));
        graph.Node.Add(Node("Mul", ["x", "large"], ["y"]));
        return Model(graph);
    }

    /// <summary>
    /// x [1, 2, 4, 4] → BatchNormalization whose second channel has mean 100,000 and variance 200,000, statistics
    /// beyond FP16's range → y.
    /// </summary>
    public static ModelProto WithLargeStatistics()
    {
        var graph = Graph("statistics", [Value("x", DataType.Float, 1, 2, 4, 4)], [Value("y", DataType.Float, 1, 2, 4, 4)]);
        graph.Initializer.Add(TensorData.Float("scale", [2], [1f, 2f]));
        graph.Initializer.Add(TensorData.Float("bias", [2], [0f, 0.5f]));
        graph.Initializer.Add(TensorData.Float("mean", [2], [0.5f, 100_000f]));
        graph.Initializer.Add(TensorData.Float("variance", [2], [1f, 200_000f]));
        graph.Node.Add(Node("BatchNormalization", ["x", "scale", "bias", "mean", "variance"], ["y"]));
        return Model(graph);
    }

    /// <summary>An If node choosing between two branches: a model with subgraphs.</summary>
    public static ModelProto WithSubgraph()
    {
        var graph = Graph("branches", [Value("x", DataType.Float, 2), Value("condition", DataType.Bool)], [Value("y", DataType.Float, 2)]);
        var then = Graph("then", [], [Value("then_y", DataType.Float, 2)]);
        then.Node.Add(Node("Identity", ["x"], ["then_y"]));
        var otherwise = Graph("else", [], [Value("else_y", DataType.Float, 2)]);
        otherwise.Node.Add(Node("Neg", ["x"], ["else_y"]));
        graph.Node.Add(Node("If", ["condition"], ["y"],
            new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then },
            new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = otherwise }));
        return Model(graph);
    }

    public static TensorProto Tensor(string name, Random random, float magnitude, params long[] dims)
    {
        var values = new float[dims.Aggregate(1L, (product, dimension) => product * dimension)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextSingle() * 2 - 1) * magnitude;
        }

        return TensorData.Float(name, dims, values);
    }

    private static ModelProto Model(GraphProto graph, long opset = 17) => new()
    {
        IrVersion = 8,
        ProducerName = "AiFactory.Tests",
        OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } },
        Graph = graph,
    };

    private static GraphProto Graph(string name, ValueInfoProto[] inputs, ValueInfoProto[] outputs) =>
        new() { Name = name, Input = { inputs }, Output = { outputs } };

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        new() { Name = $"{op}_{outputs[0]}", OpType = op, Input = { inputs }, Output = { outputs }, Attribute = { attributes } };

    private static NodeProto Constant(string output, TensorProto value) =>
        Node("Constant", [], [output], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value });

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    private static ValueInfoProto Value(string name, DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
