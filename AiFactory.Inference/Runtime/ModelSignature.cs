using AiFactory.Inference.Repository;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// A model's inputs and outputs as requests must send and get them: the ONNX metadata, narrowed by
/// <c>config.json</c>'s dims. <c>-1</c> marks a variable dimension.
/// </summary>
public sealed record ModelSignature(IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs)
{
    /// <exception cref="InvalidOperationException">The config's dims do not fit the model; the message names the field.</exception>
    public static ModelSignature Of(InferenceSession session, ModelConfig config)
    {
        var inputs = ApplyConfiguredDims(Describe(session.InputMetadata), config);
        var outputs = Describe(session.OutputMetadata);
        if (config.MaxBatchSize > 0 && inputs.Concat(outputs).FirstOrDefault(spec => spec.Shape.Length == 0) is { } scalar)
        {
            throw new InvalidOperationException($"max_batch_size is {config.MaxBatchSize}, but '{scalar.Name}' is a scalar without a batch dimension");
        }

        return new ModelSignature(inputs, outputs);
    }

    /// <summary>
    /// Replaces variable dimensions with the sizes <c>config.json</c> fixes. Its dims leave out the batch
    /// dimension when the model is batched, as Triton's do.
    /// </summary>
    private static List<TensorSpec> ApplyConfiguredDims(List<TensorSpec> specs, ModelConfig config)
    {
        foreach (var input in config.Inputs)
        {
            var index = specs.FindIndex(spec => spec.Name == input.Name);
            if (index < 0)
            {
                throw new InvalidOperationException($"{ModelConfig.FileName}: 'inputs' names '{input.Name}', which the model does not take");
            }

            var spec = specs[index];
            long[] dims = config.MaxBatchSize > 0 ? [-1, .. input.Dims] : input.Dims;
            if (dims.Length != spec.Shape.Length)
            {
                throw new InvalidOperationException(
                    $"{ModelConfig.FileName}: dims of input '{input.Name}' give rank {dims.Length}, the model's shape is {Shapes.Format(spec.Shape)}");
            }

            for (var i = 0; i < dims.Length; i++)
            {
                if (spec.Shape[i] >= 0 && dims[i] != spec.Shape[i] && !(i == 0 && config.MaxBatchSize > 0))
                {
                    throw new InvalidOperationException(
                        $"{ModelConfig.FileName}: dims of input '{input.Name}' contradict the model's shape {Shapes.Format(spec.Shape)} at dimension {i}");
                }
            }

            specs[index] = spec with { Shape = dims };
        }

        return specs;
    }

    private static List<TensorSpec> Describe(IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        [.. metadata.Select(node => new TensorSpec(node.Key, Datatypes.FromOnnx(node.Value.ElementDataType), [.. node.Value.Dimensions.Select(d => (long)d)]))];
}
