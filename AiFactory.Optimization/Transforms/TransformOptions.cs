namespace AiFactory.Optimization.Transforms;

/// <summary>How activation ranges are found for INT8 static quantization.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen: no value clipped, coarser steps when outliers stretch the range.</summary>
    MinMax,

    /// <summary>The range holding <see cref="TransformOptions.Percentile"/> % of the values seen: outliers clipped, finer steps.</summary>
    Percentile,
}

/// <summary>
/// The operator's options for a transform; each transform reads the ones that concern it. The admin API parses the
/// request into this once, with errors naming the field.
/// </summary>
public sealed record TransformOptions
{
    public static TransformOptions Default { get; } = new();

    /// <summary><c>graph</c>: ONNX Runtime's level, <c>basic</c> (provider-independent, the default), <c>extended</c> or <c>all</c>.</summary>
    public string GraphLevel { get; init; } = "basic";

    /// <summary><c>int8-static</c>: how activation ranges are calibrated.</summary>
    public CalibrationMethod Calibration { get; init; } = CalibrationMethod.MinMax;

    /// <summary><c>int8-static</c> with <see cref="CalibrationMethod.Percentile"/>: the share of values the range keeps, in (90, 100].</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary><c>fp16</c>: operator types kept in FP32 besides the ones the transform always keeps.</summary>
    public IReadOnlySet<string> KeepFp32Operators { get; init; } = new HashSet<string>();
}
