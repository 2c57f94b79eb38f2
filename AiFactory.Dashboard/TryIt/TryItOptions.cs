using System.ComponentModel.DataAnnotations;

namespace AiFactory.Dashboard.TryIt;

/// <summary>The Try it page: how large an image it takes, and where the OCR recognizer's dictionary is.</summary>
public sealed class TryItOptions
{
    public const string SectionName = "TryIt";

    /// <summary>The largest image file the page reads (bytes as received, not as declared).</summary>
    [Range(1, 64 * 1024 * 1024)]
    public long MaxImageBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The largest image side decoded, so a small file cannot expand into gigabytes of pixels.</summary>
    [Range(32, 8192)]
    public int MaxImageSide { get; set; } = 4096;

    /// <summary>
    /// The recognizer's dictionary (<c>ppocr_keys_v1.txt</c> next to <c>models/text-recognition/config.json</c>): the
    /// recognizer answers class scores, the dictionary makes them text. Without it the page says so.
    /// </summary>
    public string? RecognitionDictionary { get; set; }
}

/// <summary>The recognizer's dictionary, read once from <see cref="TryItOptions.RecognitionDictionary"/>; null when not configured or absent.</summary>
public sealed class RecognitionDictionarySource(Microsoft.Extensions.Options.IOptions<TryItOptions> options)
{
    private readonly Lazy<AiFactory.Evaluation.Ocr.RecognitionDictionary?> _dictionary = new(() =>
        options.Value.RecognitionDictionary is { Length: > 0 } path && File.Exists(path) ? AiFactory.Evaluation.Ocr.RecognitionDictionary.Load(path) : null);

    public AiFactory.Evaluation.Ocr.RecognitionDictionary? Dictionary => _dictionary.Value;
}
