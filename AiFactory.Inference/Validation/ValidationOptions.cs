using System.ComponentModel.DataAnnotations;

namespace AiFactory.Inference.Validation;

/// <summary>What validation measures beyond the file itself: the OCR sample models' task metrics (docs/optimization.md), on the set drawn from <see cref="Ocr.OcrOptions.RecognitionDictionary"/>.</summary>
public sealed class ValidationOptions
{
    public const string SectionName = "Validation";

    /// <summary>
    /// Text lines of the set (the first of the benchmark's 300, same seed): enough to see an optimized version's
    /// accuracy drop, few enough that validating an OCR model on one thread stays within seconds.
    /// </summary>
    [Range(1, 300)]
    public int TaskLines { get; set; } = 40;

    /// <summary>Pages of the set, for the detector (the first of the benchmark's 20).</summary>
    [Range(1, 20)]
    public int TaskPages { get; set; } = 4;
}
