using AiFactory.Optimization.Onnx;

namespace AiFactory.Optimization.Quantization;

/// <summary>
/// Rewrites a copy of the graph in QDQ form, the form ONNX Runtime fuses into integer kernels: around each
/// quantizable node, DequantizeLinear on its activation input (after a QuantizeLinear with the calibrated uint8
/// scale), on its int8 weight and on its int32 bias, and QuantizeLinear + DequantizeLinear on its output. The node
/// itself stays FP32, so the model runs anywhere ONNX runs; ONNX Runtime turns each group into QLinearConv etc.
/// </summary>
internal sealed class QdqWriter
{
    private readonly GraphProto _graph;
    private readonly IReadOnlyDictionary<string, (float Min, float Max)> _ranges;
    private readonly GraphNames _names;
    private readonly List<NodeProto> _nodes = [];
    private readonly string _domain;

    /// <summary>Activation → the DequantizeLinear output its quantized consumers read.</summary>
    private readonly Dictionary<string, string> _dequantized = new(StringComparer.Ordinal);

    /// <summary>Activation → its uint8 scale and zero point initializers.</summary>
    private readonly Dictionary<string, (string Scale, string ZeroPoint, float ScaleValue)> _parameters = new(StringComparer.Ordinal);

    private QdqWriter(GraphProto graph, IReadOnlyDictionary<string, (float Min, float Max)> ranges, string domain)
    {
        _graph = graph;
        _domain = domain;
        _ranges = ranges;
        _names = new GraphNames(graph);
    }

    /// <summary>The quantized copy of <paramref name="model"/>.</summary>
    /// <param name="ranges">The calibrated range of each quantized node's activation input and output.</param>
    /// <param name="domain">
    /// The operator set of QuantizeLinear and DequantizeLinear: ONNX's (<c>""</c>), or <c>com.microsoft</c>, ONNX
    /// Runtime's own, which has the per-channel <c>axis</c> whatever opset the model imports.
    /// </param>
    public static ModelProto Write(ModelProto model, IReadOnlyList<QuantizableNode> nodes, IReadOnlyDictionary<string, (float Min, float Max)> ranges, string domain)
    {
        var copy = model.Clone();
        var index = model.Graph.Node.Select((node, position) => (node, position))
            .ToDictionary<(NodeProto node, int position), NodeProto, int>(pair => pair.node, pair => pair.position, ReferenceEqualityComparer.Instance);
        var quantized = nodes.Select(plan => plan with { Node = copy.Graph.Node[index[plan.Node]] })
            .ToDictionary<QuantizableNode, NodeProto>(plan => plan.Node, ReferenceEqualityComparer.Instance);
        new QdqWriter(copy.Graph, ranges, domain).Rewrite(quantized);
        if (domain != "" && copy.OpsetImport.All(import => import.Domain != domain))
        {
            copy.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = 1 });
        }

        return copy;
    }

    private void Rewrite(Dictionary<NodeProto, QuantizableNode> quantized)
    {
        var replacedWeights = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in _graph.Node)
        {
            if (!quantized.TryGetValue(node, out var plan))
            {
                _nodes.Add(node);
                continue;
            }

            node.Input[0] = Dequantized(plan.Activation);
            var weightScales = QuantizeWeight(node, plan);
            replacedWeights.Add(plan.Weight.Name);
            if (plan.Bias is { } bias)
            {
                QuantizeBias(node, bias, weightScales, Parameters(plan.Activation).ScaleValue);
                replacedWeights.Add(bias.Name);
            }

            // The node writes a float tensor only the QuantizeLinear reads; the DequantizeLinear after it takes the
            // output's name, so every consumer and a graph output keep theirs.
            var output = plan.Output;
            node.Output[0] = Unique($"{output}_float");
            _nodes.Add(node);
            var (scale, zeroPoint, _) = Parameters(output);
            var q = Unique($"{output}_quantized");
            _nodes.Add(Node("QuantizeLinear", [node.Output[0], scale, zeroPoint], q));
            _nodes.Add(Node("DequantizeLinear", [q, scale, zeroPoint], output));
            _dequantized[output] = output;
        }

        _graph.Node.Clear();
        _graph.Node.AddRange(_nodes);
        RemoveUnused(replacedWeights);
    }

    /// <summary>The DequantizeLinear output for an activation, adding the QuantizeLinear/DequantizeLinear pair the first time it is asked.</summary>
    private string Dequantized(string activation)
    {
        if (_dequantized.TryGetValue(activation, out var dequantized))
        {
            return dequantized;
        }

        var (scale, zeroPoint, _) = Parameters(activation);
        var q = Unique($"{activation}_quantized");
        dequantized = Unique($"{activation}_dequantized");
        _nodes.Add(Node("QuantizeLinear", [activation, scale, zeroPoint], q));
        _nodes.Add(Node("DequantizeLinear", [q, scale, zeroPoint], dequantized));
        return _dequantized[activation] = dequantized;
    }

    private (string Scale, string ZeroPoint, float ScaleValue) Parameters(string activation)
    {
        if (_parameters.TryGetValue(activation, out var parameters))
        {
            return parameters;
        }

        var (min, max) = _ranges[activation];
        var (scale, zeroPoint) = QuantizationParameters.Activation(min, max);
        parameters = (Unique($"{activation}_scale"), Unique($"{activation}_zero_point"), scale);
        _graph.Initializer.Add(TensorData.Float(parameters.Scale, [], [scale]));
        _graph.Initializer.Add(TensorData.UInt8(parameters.ZeroPoint, [], [zeroPoint]));
        return _parameters[activation] = parameters;
    }

    /// <summary>int8 symmetric, per output channel (axis 0) or per tensor; returns the scale of each output channel.</summary>
    private float[] QuantizeWeight(NodeProto node, QuantizableNode plan)
    {
        var values = TensorData.ReadFloats(plan.Weight);
        var channels = plan.WeightAxis is null ? 1 : (int)plan.Weight.Dims[0];
        var perChannel = values.Length / channels;
        var scales = new float[channels];
        var quantized = new sbyte[values.Length];
        for (var channel = 0; channel < channels; channel++)
        {
            var slice = values.AsSpan(channel * perChannel, perChannel);
            var largest = 0f;
            foreach (var value in slice)
            {
                largest = Math.Max(largest, Math.Abs(value));
            }

            scales[channel] = QuantizationParameters.Weight(largest);
            for (var i = 0; i < slice.Length; i++)
            {
                quantized[channel * perChannel + i] = QuantizationParameters.QuantizeWeight(slice[i], scales[channel]);
            }
        }

        var name = plan.Weight.Name;
        long[] parameterDims = plan.WeightAxis is null ? [] : [channels];
        var q = Unique($"{name}_quantized");
        var scale = Unique($"{name}_scale");
        var zeroPoint = Unique($"{name}_zero_point");
        _graph.Initializer.Add(TensorData.Int8(q, plan.Weight.Dims, quantized));
        _graph.Initializer.Add(TensorData.Float(scale, parameterDims, scales));
        _graph.Initializer.Add(TensorData.Int8(zeroPoint, parameterDims, new sbyte[channels]));
        var dequantized = Unique($"{name}_dequantized");
        _nodes.Add(Dequantize(q, scale, zeroPoint, dequantized, plan.WeightAxis));
        node.Input[1] = dequantized;
        return scales;
    }

    /// <summary>int32 at scale input scale × weight scale of its channel, zero point 0.</summary>
    private void QuantizeBias(NodeProto node, TensorProto bias, float[] weightScales, float inputScale)
    {
        var values = TensorData.ReadFloats(bias);
        var scales = weightScales.Select(weightScale => inputScale * weightScale).ToArray();
        var quantized = values.Select((value, channel) => QuantizationParameters.QuantizeBias(value, scales[channel])).ToArray();
        var q = Unique($"{bias.Name}_quantized");
        var scale = Unique($"{bias.Name}_scale");
        var zeroPoint = Unique($"{bias.Name}_zero_point");
        _graph.Initializer.Add(TensorData.Int32(q, bias.Dims, quantized));
        _graph.Initializer.Add(TensorData.Float(scale, [scales.Length], scales));
        _graph.Initializer.Add(TensorData.Int32(zeroPoint, [scales.Length], new int[scales.Length]));
        var dequantized = Unique($"{bias.Name}_dequantized");
        _nodes.Add(Dequantize(q, scale, zeroPoint, dequantized, axis: 0));
        node.Input[2] = dequantized;
    }

    /// <summary>Drops the FP32 weights no node reads any more (and their graph inputs, which IR below 4 lists).</summary>
    private void RemoveUnused(HashSet<string> candidates)
    {
        var read = _graph.Node.SelectMany(node => node.Input).Concat(_graph.Output.Select(output => output.Name)).ToHashSet(StringComparer.Ordinal);
        var unused = candidates.Where(name => !read.Contains(name)).ToHashSet(StringComparer.Ordinal);
        foreach (var tensor in _graph.Initializer.Where(tensor => unused.Contains(tensor.Name)).ToList())
        {
            _graph.Initializer.Remove(tensor);
        }

        foreach (var input in _graph.Input.Where(input => unused.Contains(input.Name)).ToList())
        {
            _graph.Input.Remove(input);
        }
    }

    private NodeProto Dequantize(string quantized, string scale, string zeroPoint, string output, int? axis)
    {
        var node = Node("DequantizeLinear", [quantized, scale, zeroPoint], output);
        if (axis is not null)
        {
            node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis.Value });
        }

        return node;
    }

    private NodeProto Node(string opType, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Domain = _domain, Name = Unique($"{output}_{opType}") };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private string Unique(string name) => _names.Fresh(name);
}
