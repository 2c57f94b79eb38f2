using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Batching;

/// <summary>Joins tensors along the first dimension and splits them back (row-major makes both plain copies).</summary>
public static class TensorBatches
{
    /// <summary>
    /// Copies the parts (<paramref name="items"/> items in all) into <paramref name="buffer"/>, followed by zeros up to
    /// <paramref name="executedItems"/> items: padding rows of zeros, which for BYTES are empty elements (a zero
    /// length prefix each). The buffer is pooled by the caller and at least as long as the parts and their padding.
    /// </summary>
    public static Tensor Concatenate(IReadOnlyList<Tensor> parts, int items, int executedItems, byte[] buffer)
    {
        var offset = 0;
        foreach (var part in parts)
        {
            part.Data.Span.CopyTo(buffer.AsSpan(offset));
            offset += part.Data.Length;
        }

        var padding = (int)PaddingBytes(parts[0], executedItems - items);
        buffer.AsSpan(offset, padding).Clear();
        long[] shape = [executedItems, .. parts[0].Shape.AsSpan(1)];
        return parts[0] with { Shape = shape, Data = buffer.AsMemory(0, offset + padding) };
    }

    /// <summary>The bytes <paramref name="paddingItems"/> rows of zeros take for a tensor shaped like <paramref name="part"/>.</summary>
    public static long PaddingBytes(Tensor part, int paddingItems)
    {
        var elementsPerItem = Shapes.ElementCount(part.Shape.AsSpan(1));
        var size = Datatypes.ElementSize(part.Datatype);
        // A BYTES element is a 4-byte length prefix and its bytes: an empty one is the prefix alone.
        return paddingItems * elementsPerItem * (size == 0 ? sizeof(int) : size);
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
