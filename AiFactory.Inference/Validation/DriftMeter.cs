using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Validation;

/// <summary>
/// How far the candidate's outputs are from the reference's on the same inputs, over every output both produce with
/// the same name, datatype and element count: the largest absolute difference, the relative L2 distance
/// (‖candidate − reference‖ / ‖reference‖) and, for outputs whose last axis has more than one element, the share of
/// rows whose argmax over that axis agrees. Pairs where either value is not finite are left out.
/// </summary>
public sealed class DriftMeter
{
    private double _maxAbsDiff;
    private double _squaredDiff;
    private double _squaredReference;
    private long _rows;
    private long _agreeing;
    private long _compared;

    public void Add(IReadOnlyList<Tensor> candidate, IReadOnlyList<Tensor> reference)
    {
        foreach (var output in candidate)
        {
            var other = reference.FirstOrDefault(tensor => tensor.Name == output.Name);
            if (other is null || other.Datatype != output.Datatype || TensorValues.ToDoubles(output) is not { } a
                || TensorValues.ToDoubles(other) is not { } b || a.Length != b.Length)
            {
                continue;
            }

            for (var i = 0; i < a.Length; i++)
            {
                if (double.IsFinite(a[i]) && double.IsFinite(b[i]))
                {
                    var diff = Math.Abs(a[i] - b[i]);
                    _maxAbsDiff = Math.Max(_maxAbsDiff, diff);
                    _squaredDiff += diff * diff;
                    _squaredReference += b[i] * b[i];
                    _compared++;
                }
            }

            CountArgmax(a, b, output.Shape);
        }
    }

    private void CountArgmax(double[] a, double[] b, long[] shape)
    {
        var last = shape.Length == 0 ? 1 : (int)shape[^1];
        if (last <= 1 || a.Length % last != 0)
        {
            return;
        }

        for (var row = 0; row < a.Length / last; row++)
        {
            _rows++;
            _agreeing += ArgMax(a.AsSpan(row * last, last)) == ArgMax(b.AsSpan(row * last, last)) ? 1 : 0;
        }
    }

    private static int ArgMax(ReadOnlySpan<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>The figures; null when no output could be compared.</summary>
    public DriftCheck? Result(long referenceVersion, int samples)
    {
        if (_compared == 0)
        {
            return null;
        }

        double? relativeL2 = _squaredReference > 0 ? Math.Sqrt(_squaredDiff) / Math.Sqrt(_squaredReference) : _squaredDiff == 0 ? 0 : null;
        double? agreement = _rows > 0 ? (double)_agreeing / _rows : null;
        return new DriftCheck(referenceVersion, samples, _maxAbsDiff, relativeL2, agreement);
    }
}
