using AiFactory.Evaluation.Ocr;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Validation;

/// <summary>
/// The OCR evaluation set validation measures the sample models on: generated once per replica, on first use, from the
/// default seed at <see cref="ValidationOptions"/>' size, so every report of a model is on the same set. Where it
/// cannot be made (no dictionary configured, a font missing), <see cref="Unavailable"/> says why.
/// </summary>
public sealed class OcrValidationSet(IOptions<ValidationOptions> options)
{
    private readonly Lazy<(OcrEvaluationSet? Set, RecognitionDictionary? Dictionary, string? Unavailable)> _set = new(() => Generate(options.Value));

    public OcrEvaluationSet? Set => _set.Value.Set;

    public RecognitionDictionary? Dictionary => _set.Value.Dictionary;

    /// <summary>Why there is no set; null when there is one.</summary>
    public string? Unavailable => _set.Value.Unavailable;

    /// <summary>How the report names the set.</summary>
    public string Description => $"OCR evaluation set (seed {OcrSetOptions.DefaultSeed}, {options.Value.TaskLines} lines, {options.Value.TaskPages} pages)";

    private static (OcrEvaluationSet?, RecognitionDictionary?, string?) Generate(ValidationOptions options)
    {
        if (options.RecognitionDictionary is not { Length: > 0 } path)
        {
            return (null, null, $"the recognizer's dictionary is not configured ({ValidationOptions.SectionName}:{nameof(ValidationOptions.RecognitionDictionary)}): the evaluation set draws its characters from it");
        }

        if (!File.Exists(path))
        {
            return (null, null, $"the recognizer's dictionary {path} ({ValidationOptions.SectionName}:{nameof(ValidationOptions.RecognitionDictionary)}) does not exist");
        }

        try
        {
            var dictionary = RecognitionDictionary.Load(path);
            var set = OcrEvaluationSet.Generate(new OcrSetOptions { Lines = options.TaskLines, Pages = options.TaskPages }, dictionary);
            return (set, dictionary, null);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or InvalidDataException or DllNotFoundException or TypeInitializationException)
        {
            // A missing font (the message names the Debian package that brings it), or no Skia native library.
            return (null, null, $"the OCR evaluation set cannot be generated here: {e.Message}");
        }
    }
}
