namespace AiFactory.Optimization.Quantization;

/// <summary>
/// The values one activation took over the calibration inputs, in bounded memory: the exact minimum and maximum,
/// and, for percentile calibration, a histogram of fixed size over a symmetric range [−R, R] that doubles when a
/// value falls outside it (two neighbouring bins merge exactly into one), so no activation is ever kept.
/// </summary>
internal sealed class ActivationRange(bool histogram)
{
    /// <summary>Bins over [−R, R]: even, so doubling R merges bins 2k and 2k+1 of the old range into one of the new.</summary>
    public const int Bins = 4096;

    private readonly long[]? _counts = histogram ? new long[Bins] : null;
    private double _radius;
    private long _total;

    public float Min { get; private set; } = float.PositiveInfinity;

    public float Max { get; private set; } = float.NegativeInfinity;

    public bool IsEmpty => _total == 0;

    public void Add(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var value in values)
        {
            if (float.IsNaN(value))
            {
                throw new TransformRefusedException("an activation was NaN on the calibration inputs: the parent model does not compute finite values on them");
            }

            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        _total += values.Length;
        if (_counts is not null)
        {
            AddToHistogram(values, Math.Max(Math.Abs((double)min), Math.Abs((double)max)));
        }
    }

    /// <summary>
    /// The range holding <paramref name="percentile"/> % of the values: (100 − p) / 2 % cut from each tail, never
    /// wider than what was seen.
    /// </summary>
    public (float Min, float Max) Percentile(double percentile)
    {
        if (_counts is null)
        {
            throw new InvalidOperationException("this range keeps no histogram");
        }

        var tail = (long)Math.Floor(_total * (100 - percentile) / 200);
        var width = 2 * _radius / Bins;
        int low = 0, high = Bins - 1;
        for (long below = 0; low < Bins - 1 && below + _counts[low] <= tail; low++)
        {
            below += _counts[low];
        }

        for (long above = 0; high > 0 && above + _counts[high] <= tail; high--)
        {
            above += _counts[high];
        }

        var from = (float)(-_radius + low * width);
        var to = (float)(-_radius + (high + 1) * width);
        return (Math.Max(Min, from), Math.Min(Max, to));
    }

    private void AddToHistogram(ReadOnlySpan<float> values, double largest)
    {
        if (largest == 0 && _radius == 0)
        {
            _counts![Bins / 2] += values.Length;
            return;
        }

        if (_radius == 0)
        {
            _radius = largest;
        }

        while (largest > _radius)
        {
            Double();
        }

        var scale = Bins / (2 * _radius);
        foreach (var value in values)
        {
            _counts![Math.Clamp((int)((value + _radius) * scale), 0, Bins - 1)]++;
        }
    }

    private void Double()
    {
        // Old bin k covers [−R + k·w, −R + (k+1)·w]; with R and w doubled that is new bin (k + Bins/2) / 2.
        var merged = new long[Bins];
        for (var k = 0; k < Bins; k++)
        {
            merged[(k + Bins / 2) / 2] += _counts![k];
        }

        merged.CopyTo(_counts!, 0);
        _radius *= 2;
    }
}
