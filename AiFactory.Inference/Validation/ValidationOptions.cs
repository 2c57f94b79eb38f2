using System.ComponentModel.DataAnnotations;

namespace AiFactory.Inference.Validation;

/// <summary>What validation measures beyond the file itself: the OCR sample models' task metrics (docs/optimization.md).</summary>
public sealed class ValidationOptions
{
    public const string SectionName = "Validation";

    /// <summary>
    /// The recognizer's dictionary (<c>ppocr_keys_v1.txt</c>): the evaluation set draws its characters from it, and the
    /// recognizer's scores become text through it. Unset or absent: the report says the task metrics were not measured.
    /// The AppHost sets it locally to the seed folder's copy.
    /// </summary>
    public string? RecognitionDictionary { get; set; }

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
