using System.Text;
using AiFactory.Inference.Batching;
using AiFactory.Inference.Repository;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// The input shapes a model version is prepared for at load: every padded batch size times every shape of
/// <c>warmup_shapes</c> (or, without it, the dims the model and config fix). Each is warmed before the version is
/// ready; on a GPU provider each gets a session of its own, whose convolutions keep the plan for that one shape.
/// A shape is one dims array per input, in the model's input order.
/// </summary>
public static class PreparedShapes
{
    /// <exception cref="InvalidOperationException">A warmup shape does not fit the model; the message names the field.</exception>
    public static IReadOnlyList<long[][]> For(ModelSignature signature, ModelConfig config, BatchPadding padding)
    {
        var batched = config.MaxBatchSize > 0;
        var bases = config.WarmupShapes.Length > 0
            ? config.WarmupShapes.Select((entry, i) => WarmupShape(signature, entry, $"warmup_shapes[{i}]", batched)).ToList()
            : [signature.Inputs.Select(spec => batched ? spec.Shape[1..] : spec.Shape).ToArray()];
        var fixedBases = bases.Where(shape => shape.All(dims => dims.All(d => d >= 0))).ToList();
        if (!batched)
        {
            return config.WarmupShapes.Length > 0 ? fixedBases : [];
        }

        return [.. fixedBases.SelectMany(shape => padding.Sizes.Select(size => shape.Select(dims => (long[])[size, .. dims]).ToArray()))];
    }

    /// <summary>The key a run is looked up by: its inputs' names and shapes, in the model's input order.</summary>
    public static string Key(IReadOnlyList<Tensor> inputs) => Key(inputs.Select(input => (input.Name, input.Shape)));

    public static string Key(IReadOnlyList<TensorSpec> inputs, long[][] shape) => Key(inputs.Select((spec, i) => (spec.Name, shape[i])));

    private static string Key(IEnumerable<(string Name, long[] Shape)> inputs)
    {
        var key = new StringBuilder();
        foreach (var (name, shape) in inputs)
        {
            key.Append(name).Append(':').AppendJoin(',', shape).Append(';');
        }

        return key.ToString();
    }

    /// <summary>One entry of <c>warmup_shapes</c> as dims per input; inputs it leaves out keep the dims the model fixes.</summary>
    private static long[][] WarmupShape(ModelSignature signature, Dictionary<string, long[]> entry, string field, bool batched)
    {
        if (entry.Keys.FirstOrDefault(name => signature.Inputs.All(spec => spec.Name != name)) is { } unknown)
        {
            throw new InvalidOperationException($"{ModelConfig.FileName}: '{field}' names '{unknown}', which the model does not take");
        }

        return [.. signature.Inputs.Select(spec =>
        {
            var modelDims = batched ? spec.Shape[1..] : spec.Shape;
            if (!entry.TryGetValue(spec.Name, out var dims))
            {
                return modelDims;
            }

            if (dims.Length != modelDims.Length || dims.Where((d, i) => d < 0 || (modelDims[i] >= 0 && d != modelDims[i])).Any())
            {
                throw new InvalidOperationException(
                    $"{ModelConfig.FileName}: '{field}' gives '{spec.Name}' the dims {Shapes.Format(dims)}, which do not fit {Shapes.Format(modelDims)}{(batched ? " (without the batch dimension)" : "")}");
            }

            return dims;
        })];
    }
}
