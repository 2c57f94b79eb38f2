using System.Text;
using AiFactory.Evaluation.Ocr;
using SkiaSharp;

namespace AiFactory.Evaluation.Text;

/// <summary>
/// The characters the set may write in one font: those in both the recognizer's dictionary and the font, so every
/// reference string is one the recognizer could output and the font can draw.
/// </summary>
public sealed class OcrAlphabet
{
    // Punctuation that reads unambiguously at every size; a lone '.' or '\'' is a few pixels a human would miss too.
    private const string LatinPunctuation = "-:/()#%+";

    private OcrAlphabet(OcrFont font, string[] characters) => (Font, Characters) = (font, characters);

    public OcrFont Font { get; }

    /// <summary>Each entry one character (a string, since a dictionary entry may lie outside the BMP).</summary>
    public IReadOnlyList<string> Characters { get; }

    public static OcrAlphabet For(OcrFont font, RecognitionDictionary dictionary)
    {
        using var typeface = font.Open();
        using var skFont = new SKFont(typeface);
        var characters = dictionary.Characters
            .Where(character => Rune.TryGetRuneAt(character, 0, out var rune) && rune.Utf16SequenceLength == character.Length
                                 && Belongs(rune, font.Script) && skFont.GetGlyph(rune.Value) != 0)
            .ToArray();
        return characters.Length >= 10
            ? new OcrAlphabet(font, characters)
            : throw new InvalidOperationException($"{font.Name} and the dictionary share only {characters.Length} {font.Script} characters");
    }

    private static bool Belongs(Rune rune, OcrScript script) => script switch
    {
        OcrScript.Chinese => IsCommonChinese(rune),
        _ => rune.IsAscii && (Rune.IsLetterOrDigit(rune) || LatinPunctuation.Contains((char)rune.Value)),
    };

    /// <summary>
    /// The 3,755 level-1 characters of GB 2312, the standard set of common simplified Chinese characters (GB 2312
    /// bytes 0xB0A1 to 0xD7F9), which cover the great majority of characters in running Chinese text. The dictionary's
    /// other 2,800 or so are rare, traditional or variant forms: drawn uniformly they would be two in five of every
    /// line, which is no text a reader sees, and the recognizer misreads them as the common characters they resemble.
    /// </summary>
    private static bool IsCommonChinese(Rune rune)
    {
        if (rune.Value is < 0x4E00 or > 0x9FFF)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        return Gb2312.Value.TryGetBytes(rune.ToString(), bytes, out var written) && written == 2 && bytes[0] is >= 0xB0 and <= 0xD7 && bytes[1] >= 0xA1;
    }

    // Code page 936 is GBK, GB 2312's superset: its extra characters share the lead bytes but take trail bytes under
    // 0xA1. A character it cannot encode becomes a one-byte '?', never level 1.
    private static readonly Lazy<Encoding> Gb2312 = new(() => CodePagesEncodingProvider.Instance.GetEncoding(936)
                                                             ?? throw new InvalidOperationException("code page 936 (GB 2312) is not available"));

}
