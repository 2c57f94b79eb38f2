using AiFactory.Evaluation.Ocr;
using AiFactory.Inference.Optimization;
using AiFactory.Inference.Validation;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Ocr;

/// <summary>An OCR evaluation set, or why there is none here.</summary>
public sealed record OcrSet(OcrEvaluationSet? Set, RecognitionDictionary? Dictionary, string? Unavailable);

/// <summary>
/// The OCR evaluation sets a replica validates and calibrates the sample models on, from one dictionary
/// (<see cref="OcrOptions.RecognitionDictionary"/>), read once. The default seed's set is rendered once, on first use,
/// at the larger of validation's and calibration's sizes, and each takes its start: a smaller set from the same seed
/// is the start of a larger one. Only a calibration seed of the operator's own renders a set of its own.
/// </summary>
public sealed class OcrEvaluationSets(IOptions<OcrOptions> ocr, IOptions<ValidationOptions> validation, IOptions<OptimizationOptions> optimization)
{
    private readonly Lazy<OcrSet> _shared = new(() => Render(ocr.Value, SharedSize(validation.Value, optimization.Value)));

    /// <summary>The set validation measures on (<see cref="ValidationOptions"/>' size, default seed).</summary>
    public OcrSet ForValidation() => Get(new OcrSetOptions { Lines = validation.Value.TaskLines, Pages = validation.Value.TaskPages });

    /// <summary>The set int8-static calibrates on (<see cref="OptimizationOptions"/>' seed and size).</summary>
    public OcrSet ForCalibration()
    {
        var settings = optimization.Value;
        return Get(new OcrSetOptions { Seed = settings.CalibrationSeed, Lines = settings.CalibrationLines, Pages = settings.CalibrationPages });
    }

    private OcrSet Get(OcrSetOptions size)
    {
        if (size.Seed != OcrSetOptions.DefaultSeed)
        {
            return Render(ocr.Value, size);
        }

        var shared = _shared.Value;
        return shared.Set is { } set ? shared with { Set = set.Take(size.Lines, size.Pages) } : shared;
    }

    private static OcrSetOptions SharedSize(ValidationOptions validation, OptimizationOptions optimization) =>
        optimization.CalibrationSeed == OcrSetOptions.DefaultSeed
            ? new OcrSetOptions { Lines = Math.Max(validation.TaskLines, optimization.CalibrationLines), Pages = Math.Max(validation.TaskPages, optimization.CalibrationPages) }
            : new OcrSetOptions { Lines = validation.TaskLines, Pages = validation.TaskPages };

    private static OcrSet Render(OcrOptions options, OcrSetOptions size)
    {
        const string Setting = $"{OcrOptions.SectionName}:{nameof(OcrOptions.RecognitionDictionary)}";
        if (options.RecognitionDictionary is not { Length: > 0 } path)
        {
            return new OcrSet(null, null, $"the recognizer's dictionary is not configured ({Setting}): the evaluation set draws its characters from it");
        }

        if (!File.Exists(path))
        {
            return new OcrSet(null, null, $"the recognizer's dictionary {path} ({Setting}) does not exist");
        }

        try
        {
            var dictionary = RecognitionDictionary.Load(path);
            return new OcrSet(OcrEvaluationSet.Generate(size, dictionary), dictionary, null);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or InvalidDataException or DllNotFoundException or TypeInitializationException)
        {
            // A missing font (the message names the Debian package that brings it), or no Skia native library.
            return new OcrSet(null, null, $"the OCR evaluation set cannot be generated here: {e.Message}");
        }
    }
}
