
namespace AiFactory.Inference.Runtime;

/// <summary>Runs a model once per configured warmup batch size, on zeros, before it is reported ready.</summary>
public static class Warmup
{
    /// <summary>Size used for a dimension that is variable in the model and not fixed by <c>config.json</c>.</summary>
    public const long DefaultVariableDimension = 32;

    public static void Run(LoadedModel model)
    {
        foreach (var batchSize in model.Config.Warmup)
        {
            var inputs = model.Inputs.Select(spec => Zeros(spec, batchSize, model.Config.MaxBatchSize > 0)).ToList();
            model.Run(inputs, [.. model.Outputs.Select(output => output.Name)]);
        }
    }

    /// <summary>
    /// The shape a generated input of <paramref name="batchSize"/> items takes: the batch size in the first dimension
    /// when the model is batched (or that dimension is variable), <see cref="DefaultVariableDimension"/> in the other
    /// variable ones.
    /// </summary>
    public static long[] ShapeOf(TensorSpec spec, int batchSize, bool batched) =>
        spec.Shape.Select((dimension, i) =>
            i == 0 && (batched || dimension < 0) ? batchSize : dimension < 0 ? DefaultVariableDimension : dimension).ToArray();

    private static Tensor Zeros(TensorSpec spec, int batchSize, bool batched)
    {
        var shape = ShapeOf(spec, batchSize, batched);
        var count = Shapes.ElementCount(shape);
        var size = Datatypes.ElementSize(spec.Datatype);
        // BYTES: every element is an empty string, a zero length prefix.
        var data = new byte[checked(count * (size == 0 ? sizeof(int) : size))];
        return new Tensor(spec.Name, spec.Datatype, shape, data);
    }
}
