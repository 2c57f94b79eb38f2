namespace AiFactory.Inference.Batching;

/// <summary>
/// The fixed batch sizes batches are padded to (<c>dynamic_batching.padded_batch_sizes</c>): a batch of n items runs
/// as the smallest size that holds it, so the model only ever sees those few shapes. On CUDA that matters: ONNX
/// Runtime's convolution plans for the last input shape it saw and plans again for every new one (see
/// docs/performance.md), and each size is warmed at load. With no sizes, batches run at their own size.
/// </summary>
public sealed class BatchPadding
{
    private readonly int[] _sizes;

    public BatchPadding(IEnumerable<int> sizes) => _sizes = [.. sizes.Distinct().Order()];

    public static BatchPadding None { get; } = new([]);

    /// <summary>The sizes, ascending; empty when batches are not padded.</summary>
    public IReadOnlyList<int> Sizes => _sizes;

    /// <summary>The size a batch of <paramref name="items"/> runs as: the smallest padded size that holds it, else its own.</summary>
    public int SizeFor(int items)
    {
        foreach (var size in _sizes)
        {
            if (size >= items)
            {
                return size;
            }
        }

        return items;
    }

    /// <summary>1, 2, 4, … below <paramref name="maxBatchSize"/>, then <paramref name="maxBatchSize"/> itself: the default sizes.</summary>
    public static int[] PowersOfTwo(int maxBatchSize)
    {
        var sizes = new List<int>();
        for (var size = 1; size < maxBatchSize; size *= 2)
        {
            sizes.Add(size);
        }

        sizes.Add(maxBatchSize);
        return [.. sizes];
    }
}
