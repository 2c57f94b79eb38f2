namespace AiFactory.Inference.Ocr;

/// <summary>What a replica needs to measure and calibrate the OCR sample models (section <c>Ocr</c>).</summary>
public sealed class OcrOptions
{
    public const string SectionName = "Ocr";

    /// <summary>
    /// The recognizer's dictionary (<c>ppocr_keys_v1.txt</c>): the OCR evaluation set draws its characters from it, and
    /// the recognizer's scores become text through it. Unset or absent: validation reports the task metrics as not
    /// measured, and int8-static has no default calibration inputs. The AppHost sets it locally to the seed folder's copy.
    /// </summary>
    public string? RecognitionDictionary { get; set; }
}
