using AiFactory.Evaluation.Ocr;

namespace AiFactory.Benchmarks.Optimization;

/// <summary>One model measured: the FP32 parent (<see cref="Transform"/> null) or a transform's output beside it.</summary>
/// <param name="Throughput">Items per second by batch size, one caller.</param>
/// <param name="Drift">Max and mean absolute difference of the first output from the parent's on the evaluation set inputs; null for the parent.</param>
/// <param name="Refusal">Why the transform did not apply; every other field is then empty.</param>
public sealed record OptimizedVariant(
    string Model,
    string? Transform,
    long Bytes = 0,
    double TransformSeconds = 0,
    double P50Ms = double.NaN,
    double P95Ms = double.NaN,
    IReadOnlyDictionary<int, double>? Throughput = null,
    (double Max, double Mean)? Drift = null,
    TaskMetric? Headline = null,
    string? Refusal = null)
{
    public double ThroughputAt(int batch) => Throughput?.GetValueOrDefault(batch, double.NaN) ?? double.NaN;

    /// <summary>One line for the console while the run goes on.</summary>
    public override string ToString() => Refusal is not null ? $"{Model} {Transform}: refused: {Refusal}"
        : FormattableString.Invariant($"{Model} {Transform ?? "FP32 parent"}: {Bytes / 1e6:F2} MB, batch 1 p50 {P50Ms:F2} ms, best {BestThroughput:F1} items/s, {Headline?.Name} {Headline?.Value:F4}, drift {Drift}");

    /// <summary>The highest throughput measured: what a node serving this model at full load does.</summary>
    public double BestThroughput => Throughput is { Count: > 0 } ? Throughput.Values.Max() : double.NaN;
}

/// <summary>Max and mean absolute difference between two outputs, summed over every call, in constant memory.</summary>
internal sealed class DriftMeter
{
    private double _max, _sum;
    private long _count;

    public void Add(ReadOnlySpan<float> parent, ReadOnlySpan<float> candidate)
    {
        if (parent.Length != candidate.Length)
        {
            throw new InvalidOperationException($"the optimized model answered {candidate.Length} values where its parent answered {parent.Length}");
        }

        for (var i = 0; i < parent.Length; i++)
        {
            var difference = Math.Abs((double)parent[i] - candidate[i]);
            _max = Math.Max(_max, difference);
            _sum += difference;
        }

        _count += parent.Length;
    }

    public (double Max, double Mean) Result => (_max, _count == 0 ? double.NaN : _sum / _count);
}
