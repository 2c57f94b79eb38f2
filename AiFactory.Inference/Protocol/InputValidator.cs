using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol;

/// <summary>Checks a request's inputs against the model's metadata before anything reaches ONNX Runtime.</summary>
public static class InputValidator
{
    /// <summary>Validates name, datatype, rank and fixed dimensions; returns the element count of the shape.</summary>
    public static long ValidateShape(TensorSpec spec, string? datatype, long[]? shape, long maxElements)
    {
        if (datatype != spec.Datatype)
        {
            throw InferenceError.InvalidArgument($"input '{spec.Name}': datatype is '{datatype}', the model expects {spec.Datatype}");
        }

        if (shape is null)
        {
            throw InferenceError.InvalidArgument($"input '{spec.Name}': 'shape' is missing");
        }

        if (shape.Length != spec.Shape.Length)
        {
            throw InferenceError.InvalidArgument(
                $"input '{spec.Name}': shape {Shapes.Format(shape)} has rank {shape.Length}, the model expects {Shapes.Format(spec.Shape)}");
        }

        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw InferenceError.InvalidArgument($"input '{spec.Name}': dimension {i} is negative ({shape[i]})");
            }

            if (spec.Shape[i] >= 0 && shape[i] != spec.Shape[i])
            {
                throw InferenceError.InvalidArgument(
                    $"input '{spec.Name}': shape {Shapes.Format(shape)} does not match the model's {Shapes.Format(spec.Shape)} at dimension {i}");
            }
        }

        long count;
        try
        {
            count = Shapes.ElementCount(shape);
        }
        catch (OverflowException)
        {
            throw InferenceError.InvalidArgument($"input '{spec.Name}': shape {Shapes.Format(shape)} overflows the element count");
        }

        if (count > maxElements)
        {
            throw InferenceError.InvalidArgument(
                $"input '{spec.Name}': shape {Shapes.Format(shape)} holds {count} elements, more than the limit of {maxElements}");
        }

        return count;
    }
}
