using System.ComponentModel.DataAnnotations;

namespace AiFactory.Inference.Optimization;

/// <summary>How a replica runs transforms for the registry (section <c>Optimization</c>); the OCR set it renders calibration inputs from needs <see cref="Ocr.OcrOptions.RecognitionDictionary"/>.</summary>
public sealed class OptimizationOptions
{
    public const string SectionName = "Optimization";

    /// <summary>The seed of the generated calibration set, recorded in the lineage so a calibration can be repeated.</summary>
    public int CalibrationSeed { get; set; } = AiFactory.Evaluation.Ocr.OcrSetOptions.DefaultSeed;

    /// <summary>Text lines of the generated calibration set (the direction classifier and the recognizer calibrate on them).</summary>
    [Range(1, 2000, ErrorMessage = "Optimization:CalibrationLines must be between 1 and 2000")]
    public int CalibrationLines { get; set; } = 64;

    /// <summary>Pages of the generated calibration set (the detector calibrates on them; each is 640×640).</summary>
    [Range(1, 200, ErrorMessage = "Optimization:CalibrationPages must be between 1 and 200")]
    public int CalibrationPages { get; set; } = 8;
}
