namespace AiFactory.Evaluation.Labelled;

/// <summary>What a labelled set measures on the model output it names (docs/optimization.md, "A model's own labelled set").</summary>
public enum LabelledMetric
{
    /// <summary>
    /// <c>argmax_accuracy</c>: the output's last axis holds class scores; the expected tensor holds the class index
    /// (INT32 or INT64) of each row, with the output's shape less its last axis. Score: correct rows / rows.
    /// </summary>
    ArgmaxAccuracy,

    /// <summary>
    /// <c>max_abs_error</c>: the expected tensor (FP32 or FP64) has the output's shape. Score: the largest absolute
    /// difference over every element of every sample (lower is better); the mean is reported beside it.
    /// </summary>
    MaxAbsError,

    /// <summary><c>exact_match</c>: the output must equal the expected tensor element for element. Score: matching samples / samples.</summary>
    ExactMatch,
}

/// <summary>The metrics' names in the set's JSON.</summary>
public static class LabelledMetrics
{
    public static string Name(LabelledMetric metric) => metric switch
    {
        LabelledMetric.ArgmaxAccuracy => "argmax_accuracy",
        LabelledMetric.MaxAbsError => "max_abs_error",
        _ => "exact_match",
    };
}

/// <summary>
/// A tensor of a labelled set, OIP-style (name, datatype, shape, row-major data). Values are held as
/// <see cref="double"/> for FP32 and FP64 and as <see cref="long"/> for the integer types and BOOL (0 or 1), each
/// checked against its datatype's range when read.
/// </summary>
public sealed record LabelledTensor(string? Name, string Datatype, long[] Shape, double[]? Floats, long[]? Integers)
{
    public long ElementCount => Floats?.LongLength ?? Integers!.LongLength;

    public double this[long index] => Floats is { } floats ? floats[index] : Integers![index];
}

/// <summary>One sample: every input the model takes, and the expected value of the output the set measures.</summary>
public sealed record LabelledSample(IReadOnlyList<LabelledTensor> Inputs, LabelledTensor Expected);

/// <summary>A model's own labelled set, as uploaded: the metric, the output it reads, the samples.</summary>
public sealed record LabelledSet(LabelledMetric Metric, string Output, IReadOnlyList<LabelledSample> Samples);

/// <summary>A labelled set that cannot be used: the message names the JSON path (or the sample) and the problem.</summary>
public class LabelledSetException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A labelled set over <see cref="LabelledSetLimits.MaxBytes"/>: an upload endpoint answers 413.</summary>
public sealed class LabelledSetTooLargeException(string message) : LabelledSetException(message);

/// <summary>What a labelled set may hold; everything is counted from what was actually read.</summary>
public sealed record LabelledSetLimits
{
    /// <summary>The JSON document's size.</summary>
    public int MaxBytes { get; init; } = 64 * 1024 * 1024;

    public int MaxSamples { get; init; } = 10_000;

    /// <summary>Elements over every tensor of the set (8 bytes each in memory).</summary>
    public long MaxElements { get; init; } = 16 * 1024 * 1024;

    public int MaxRank { get; init; } = 8;
}
