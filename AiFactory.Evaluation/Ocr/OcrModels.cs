namespace AiFactory.Evaluation.Ocr;

/// <summary>What each OCR sample model does, so the set knows which of its evaluations applies.</summary>
public enum OcrTask
{
    Direction,
    Recognition,
    Detection,
}

/// <summary>
/// The OCR sample models <c>scripts/fetch-models.sh</c> lays out, by their model names: the set is their default
/// evaluation and calibration set.
/// </summary>
public static class OcrModels
{
    public const string Direction = "text-direction";
    public const string Recognition = "text-recognition";
    public const string Detection = "text-detection";

    /// <summary>The recognizer's dictionary, next to its <c>config.json</c> in the model repository.</summary>
    public const string DictionaryFileName = "ppocr_keys_v1.txt";

    /// <summary>The task of a sample model, or null for any other model.</summary>
    public static OcrTask? TaskOf(string model) => model switch
    {
        Direction => OcrTask.Direction,
        Recognition => OcrTask.Recognition,
        Detection => OcrTask.Detection,
        _ => null,
    };
}
