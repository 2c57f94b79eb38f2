using AiFactory.Inference.Protocol;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Batching;

/// <summary>Joins tensors along the first dimension and splits them back (row-major makes both plain copies).</summary>
public static class TensorBatches
{
    /// <summary>Copies the parts into <paramref name="buffer"/> (pooled by the caller, at least as long as all parts).</summary>
    public static Tensor Concatenate(IReadOnlyList<Tensor> parts, int items, byte[] buffer)
    {
        var offset = 0;
        foreach (var part in parts)
        {
            part.Data.Span.CopyTo(buffer.AsSpan(offset));
            offset += part.Data.Length;
        }

        long[] shape = [items, .. parts[0].Shape.AsSpan(1)];
        return parts[0] with { Shape = shape, Data = buffer.AsMemory(0, offset) };
    }

    /// <summary>Items [first, first + count) of each output of a batch of <paramref name="items"/>.</summary>
    public static Tensor[] Slice(IReadOnlyList<Tensor> outputs, int first, int count, int items)
    {
        var slices = new Tensor[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            var output = outputs[i];
            if (output.Shape.Length == 0 || output.Shape[0] != items)
            {
                throw new InvalidOperationException(
                    $"output '{output.Name}' has shape {Shapes.Format(output.Shape)}, without the batch dimension of {items}");
            }

            long[] shape = [count, .. output.Shape.AsSpan(1)];
            slices[i] = output with { Shape = shape, Data = SliceData(output, first, count, items) };
        }

        return slices;
    }

    private static byte[] SliceData(Tensor output, int first, int count, int items)
    {
        var size = Datatypes.ElementSize(output.Datatype);
        if (size > 0)
        {
            var bytesPerItem = output.Data.Length / items;
            return output.Data.Slice(first * bytesPerItem, count * bytesPerItem).ToArray();
        }

        // BYTES: walk the length prefixes to find where each item's elements start.
        var elementsPerItem = output.ElementCount / items;
        var data = output.Data.Span;
        int start = 0, end = 0;
        long element = 0;
        foreach (var value in new BytesElements(data))
        {
            if (element == first * elementsPerItem)
            {
                start = end;
            }

            end += 4 + value.Length;
            element++;
            if (element == (first + count) * elementsPerItem)
            {
                break;
            }
        }

        return data[start..end].ToArray();
    }
}
