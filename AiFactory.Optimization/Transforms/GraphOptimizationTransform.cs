using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Optimization.Transforms;

/// <summary>
/// <c>graph</c>: ONNX Runtime's offline graph optimization (constant folding, redundant node elimination, fusions),
/// saved as a model, so replicas skip that work at load. <c>basic</c> rewrites only with standard ONNX operators and
/// suits every provider; <c>extended</c> and <c>all</c> fuse into ONNX Runtime's own operators and lay out for the
/// CPU provider, so their output is for CPU replicas (ONNX Runtime: optimize offline for the target hardware).
/// </summary>
public sealed class GraphOptimizationTransform : IModelTransform
{
    public string Name => "graph";

    public TransformResult Apply(TransformInput input)
    {
        var level = input.Options.GraphLevel switch
        {
            "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all" => GraphOptimizationLevel.ORT_ENABLE_ALL,
            var other => throw new TransformRefusedException($"unknown graph optimization level '{other}': basic, extended or all"),
        };

        var output = Path.Combine(Path.GetTempPath(), $"aifactory-graph-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions { GraphOptimizationLevel = level, OptimizedModelFilePath = output })
            using (new InferenceSession(input.Bytes.ToArray(), options))
            {
                // Creating the session optimizes the graph and writes it to OptimizedModelFilePath.
            }

            var bytes = File.ReadAllBytes(output);
            var before = input.Model.Graph.Node.Count;
            var after = Onnx.OnnxModelFile.Read(bytes).Graph.Node.Count;
            return new TransformResult(bytes, new Dictionary<string, object>
            {
                ["level"] = input.Options.GraphLevel,
                ["nodes_before"] = before,
                ["nodes_after"] = after,
            });
        }
        catch (OnnxRuntimeException e)
        {
            throw new TransformRefusedException($"ONNX Runtime could not load the model to optimize it: {e.Message}");
        }
        finally
        {
            File.Delete(output);
        }
    }
}
