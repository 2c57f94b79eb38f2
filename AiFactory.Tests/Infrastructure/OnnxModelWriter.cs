using Google.Protobuf;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Writes small ONNX models for tests: one <c>Identity</c> node per datatype, so every protocol datatype can be
/// sent through a real ONNX Runtime session and compared with what went in. Encodes the ONNX protobuf messages by
/// field number (onnx.proto: ModelProto, GraphProto, NodeProto, ValueInfoProto, TypeProto).
/// </summary>
public static class OnnxModelWriter
{
    /// <summary>ONNX element types by protocol datatype.</summary>
    public static readonly IReadOnlyDictionary<string, int> ElementTypes = new Dictionary<string, int>
    {
        ["FP32"] = 1, ["UINT8"] = 2, ["INT8"] = 3, ["UINT16"] = 4, ["INT16"] = 5, ["INT32"] = 6, ["INT64"] = 7,
        ["BYTES"] = 8, ["BOOL"] = 9, ["FP16"] = 10, ["FP64"] = 11, ["UINT32"] = 12, ["UINT64"] = 13, ["BF16"] = 16,
    };

    /// <summary>Inputs <c>in_&lt;type&gt;</c> [-1,-1] copied to outputs <c>out_&lt;type&gt;</c>, one per datatype given.</summary>
    public static byte[] Identity(params string[] datatypes)
    {
        var types = datatypes.Select(datatype => (Datatype: datatype, ElementType: ElementTypes[datatype])).ToList();
        var graph = new List<byte[]>();
        foreach (var (datatype, _) in types)
        {
            var name = datatype.ToLowerInvariant();
            graph.Add(Field(1, Message(w =>
            {
                w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString($"in_{name}");
                w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString($"out_{name}");
                w.WriteTag(3, WireFormat.WireType.LengthDelimited); w.WriteString($"copy_{name}");
                w.WriteTag(4, WireFormat.WireType.LengthDelimited); w.WriteString("Identity");
            })));
        }

        graph.Add(Field(2, System.Text.Encoding.UTF8.GetBytes("identity")));
        foreach (var (datatype, elementType) in types)
        {
            graph.Add(Field(11, ValueInfo($"in_{datatype.ToLowerInvariant()}", elementType)));
        }

        foreach (var (datatype, elementType) in types)
        {
            graph.Add(Field(12, ValueInfo($"out_{datatype.ToLowerInvariant()}", elementType)));
        }

        return Model(graph);
    }

    /// <summary>
    /// <c>x</c> [batch, n, n] FP32 → <c>y</c> = x^(multiplications + 1), one MatMul per multiplication: a model whose
    /// execution takes as long as the caller's n makes it (n³ per multiplication), for tests that need a run to last.
    /// </summary>
    public static byte[] MatrixPower(int multiplications)
    {
        var graph = new List<byte[]>();
        for (var i = 1; i <= multiplications; i++)
        {
            var left = i == 1 ? "x" : $"power_{i}";
            var result = i == multiplications ? "y" : $"power_{i + 1}";
            graph.Add(Field(1, Message(w =>
            {
                w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(left);
                w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString("x");
                w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString(result);
                w.WriteTag(3, WireFormat.WireType.LengthDelimited); w.WriteString($"multiply_{i}");
                w.WriteTag(4, WireFormat.WireType.LengthDelimited); w.WriteString("MatMul");
            })));
        }

        graph.Add(Field(2, System.Text.Encoding.UTF8.GetBytes("matrix-power")));
        graph.Add(Field(11, ValueInfo("x", ElementTypes["FP32"], "batch", "n", "n")));
        graph.Add(Field(12, ValueInfo("y", ElementTypes["FP32"], "batch", "n", "n")));
        return Model(graph);
    }

    /// <summary>
    /// <paramref name="input"/> [-1,-1] through a chain of unary operators (default domain, opset 17) to
    /// <paramref name="output"/>, all of <paramref name="datatype"/>: e.g. <c>Exp, Neg, Log</c>, which is NaN for every
    /// input (the log of a negative number), or <c>Identity</c> for a model of a chosen signature.
    /// </summary>
    public static byte[] Chain(string input, string output, string datatype, params string[] operators)
    {
        var graph = new List<byte[]>();
        for (var i = 0; i < operators.Length; i++)
        {
            var (from, to, op) = (i == 0 ? input : $"t{i}", i == operators.Length - 1 ? output : $"t{i + 1}", operators[i]);
            graph.Add(Field(1, Message(w =>
            {
                w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(from);
                w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString(to);
                w.WriteTag(3, WireFormat.WireType.LengthDelimited); w.WriteString($"{op.ToLowerInvariant()}_{i}");
                w.WriteTag(4, WireFormat.WireType.LengthDelimited); w.WriteString(op);
            })));
        }

        graph.Add(Field(2, System.Text.Encoding.UTF8.GetBytes("chain")));
        graph.Add(Field(11, ValueInfo(input, ElementTypes[datatype])));
        graph.Add(Field(12, ValueInfo(output, ElementTypes[datatype])));
        return Model(graph);
    }

    /// <summary>The ONNX IR version and default-domain opset the written models declare.</summary>
    public const int IrVersion = 8;
    public const int Opset = 17;

    private static byte[] Model(List<byte[]> graph) => Message(w =>
    {
        w.WriteTag(1, WireFormat.WireType.Varint); w.WriteInt64(IrVersion);
        w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString(Producer);
        w.WriteTag(7, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom([.. graph.SelectMany(b => b)]));
        w.WriteTag(8, WireFormat.WireType.LengthDelimited);
        w.WriteBytes(ByteString.CopyFrom(Message(o => { o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt64(Opset); })));
    });

    public const string Producer = "aifactory-tests";

    /// <summary>
    /// <paramref name="model"/> with a doc_string appended (ModelProto field 6): other bytes, so another artifact,
    /// with the same graph (protobuf keeps the last value of a repeated scalar field, and the runtime ignores it).
    /// </summary>
    public static byte[] WithDocString(byte[] model, string docString) =>
        [.. model, .. Message(w => { w.WriteTag(6, WireFormat.WireType.LengthDelimited); w.WriteString(docString); })];

    /// <summary>A tensor value of the element type whose dimensions are the named (variable) ones, [batch, n] by default.</summary>
    private static byte[] ValueInfo(string name, int elementType, params string[] dimensions) => Message(w =>
    {
        w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString(name);
        var shape = Message(s =>
        {
            foreach (var dimension in dimensions is { Length: > 0 } ? dimensions : ["batch", "n"])
            {
                var named = Message(d => { d.WriteTag(2, WireFormat.WireType.LengthDelimited); d.WriteString(dimension); });
                s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteBytes(ByteString.CopyFrom(named));
            }
        });
        var tensor = Message(t =>
        {
            t.WriteTag(1, WireFormat.WireType.Varint); t.WriteInt32(elementType);
            t.WriteTag(2, WireFormat.WireType.LengthDelimited); t.WriteBytes(ByteString.CopyFrom(shape));
        });
        var type = Message(t => { t.WriteTag(1, WireFormat.WireType.LengthDelimited); t.WriteBytes(ByteString.CopyFrom(tensor)); });
        w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(type));
    });

    private static byte[] Field(int number, byte[] payload) => Message(w =>
    {
        w.WriteTag(number, WireFormat.WireType.LengthDelimited);
        w.WriteBytes(ByteString.CopyFrom(payload));
    });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return stream.ToArray();
    }
}
