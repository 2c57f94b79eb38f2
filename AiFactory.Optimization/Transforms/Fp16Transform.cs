using AiFactory.Optimization.Onnx;

namespace AiFactory.Optimization.Transforms;

/// <summary>
/// <c>fp16</c>: FP32 constants and the values between operators to FP16, which halves the file. Graph inputs and
/// outputs stay FP32 (a Cast at each edge), so callers send and receive what they did; operators that are fragile in
/// FP16 stay FP32 behind Casts. Value types come from ONNX Runtime (<see cref="ValueTypes"/>). Models with subgraphs
/// (If, Loop, Scan) are refused: their bodies would need the same rewrite with the outer scope's types.
/// </summary>
public sealed class Fp16Transform : IModelTransform
{
    /// <summary>
    /// Operators always kept in FP32. From onnxconverter-common's block list, the ones with inputs ONNX or ONNX Runtime
    /// want in FP32 (Resize and Upsample scales, RoiAlign boxes) or whose results lose meaning in FP16 (Range and
    /// CumSum accumulate rounding, TopK and NonMaxSuppression compare scores that FP16 ties). Besides, powers and
    /// reductions: the recognizer's SVTR neck computes LayerNorm as Sub, Pow, ReduceMean, Sqrt, and squares summed in
    /// FP16 overflow its largest value (65,504) or drop the small terms. BatchNormalization is kept where its
    /// variance needs it (<see cref="Fp16Plan"/>).
    /// </summary>
    public static IReadOnlySet<string> AlwaysFp32Operators { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Resize", "Upsample", "RoiAlign", "Range", "CumSum", "TopK", "NonMaxSuppression",
        "Pow", "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2", "ReduceLogSumExp", "ReduceProd",
    };

    public string Name => "fp16";

    public TransformResult Apply(TransformInput input)
    {
        var model = input.Model.Clone();
        var graph = model.Graph;
        if (graph.Node.FirstOrDefault(node => node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)) is { } withSubgraph)
        {
            throw new TransformRefusedException(
                $"fp16 does not convert models with subgraphs: node '{withSubgraph.Name}' ({withSubgraph.OpType}) has one");
        }

        var plan = new Fp16Plan(graph, ValueTypes.Probe(input.Model), AlwaysFp32Operators.Union(input.Options.KeepFp32Operators).ToHashSet());
        var rewrite = plan.Rewrite();
        var bytes = OnnxModelFile.Write(model);
        return new TransformResult(bytes, new Dictionary<string, object>
        {
            ["nodes_converted"] = rewrite.NodesConverted,
            ["nodes_kept_fp32"] = rewrite.NodesKept,
            ["casts_added"] = rewrite.CastsAdded,
            ["initializers_converted"] = rewrite.ConstantsConverted,
            ["values_clamped"] = rewrite.ValuesClamped,
            ["size_before"] = (long)input.Bytes.Length,
            ["size_after"] = (long)bytes.Length,
        });
    }
}
