using System.Runtime.InteropServices;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// Runs a model before it is reported ready, on zeros: once per configured <c>warmup</c> batch size, then once per
/// prepared shape (every padded batch size of every warmup shape), each on the session that will serve it.
/// </summary>
public static class Warmup
{
    /// <summary>Size used for a dimension that is variable in the model and not fixed by <c>config.json</c>.</summary>
    public const long DefaultVariableDimension = 32;

    public static void Run(LoadedModel model)
    {
        var outputs = model.Outputs.Select(output => output.Name).ToList();
        foreach (var batchSize in model.Config.Warmup)
        {
            model.Run([.. model.Inputs.Select(spec => Zeros(spec, ShapeOf(spec, batchSize, model.Config.MaxBatchSize > 0)))], outputs);
        }

        foreach (var shape in model.Sessions.Prepared)
        {
            model.Run([.. model.Inputs.Select((spec, i) => Zeros(spec, shape[i]))], outputs);
        }
    }

    /// <summary>
    /// Inputs of <paramref name="shape"/> whose values tell runs apart (reproducible uniform [0, 1) for FP32, zeros
    /// otherwise): what a captured CUDA graph is checked with.
    /// </summary>
    public static IReadOnlyList<Tensor> Probe(IReadOnlyList<TensorSpec> inputs, long[][] shape)
    {
        var random = new Random(17);
        return [.. inputs.Select((spec, i) =>
        {
            var tensor = Zeros(spec, shape[i]);
            if (spec.Datatype == Datatypes.Fp32)
            {
                foreach (ref var value in MemoryMarshal.Cast<byte, float>(MemoryMarshal.AsMemory(tensor.Data).Span))
                {
                    value = random.NextSingle();
                }
            }

            return tensor;
        })];
    }

    /// <summary>
    /// The shape a generated input of <paramref name="batchSize"/> items takes: the batch size in the first dimension
    /// when the model is batched (or that dimension is variable), <see cref="DefaultVariableDimension"/> in the other
    /// variable ones.
    /// </summary>
    public static long[] ShapeOf(TensorSpec spec, int batchSize, bool batched) =>
        [.. spec.Shape.Select((dimension, i) =>
            i == 0 && (batched || dimension < 0) ? batchSize : dimension < 0 ? DefaultVariableDimension : dimension)];

    private static Tensor Zeros(TensorSpec spec, long[] shape)
    {
        var count = Shapes.ElementCount(shape);
        var size = Datatypes.ElementSize(spec.Datatype);
        // BYTES: every element is an empty string, a zero length prefix.
        var data = new byte[checked(count * (size == 0 ? sizeof(int) : size))];
        return new Tensor(spec.Name, spec.Datatype, shape, data);
    }
}
