using SkiaSharp;

namespace AiFactory.Evaluation.Text;

/// <summary>A font the evaluation set renders text in: a file a Debian package installs.</summary>
/// <param name="Name">The font's name, recorded with every sample rendered in it.</param>
/// <param name="Path">Where the package puts the file.</param>
/// <param name="Package">The Debian package (<c>scripts/install-prerequisites.sh</c> installs it).</param>
/// <param name="Script">What the set writes in it.</param>
public sealed record OcrFont(string Name, string Path, string Package, OcrScript Script)
{
    /// <summary>The typeface, opened from its file (no font configuration involved, so every machine draws the same glyphs from the same file).</summary>
    public SKTypeface Open() =>
        File.Exists(Path)
            ? SKTypeface.FromFile(Path) ?? throw new InvalidOperationException($"{Path} is not a font Skia can read")
            : throw new FileNotFoundException($"the font {Name} ({Path}) is missing: install the Debian package {Package} (scripts/install-prerequisites.sh does)", Path);
}

/// <summary>The two kinds of text the set holds.</summary>
public enum OcrScript
{
    /// <summary>Chinese characters: most of the recognizer's dictionary.</summary>
    Chinese,

    /// <summary>Latin letters, digits and punctuation.</summary>
    Latin,
}

/// <summary>
/// The fonts of the evaluation set. Chinese in WenQuanYi Micro Hei (<c>fonts-wqy-microhei</c>, 1.6 MB: Noto CJK
/// would be 56 MB for the same purpose), because the recognizer's dictionary is mostly Chinese characters and a
/// Latin-only set would leave most of the model unmeasured; Latin in DejaVu Sans and DejaVu Serif
/// (<c>fonts-dejavu-core</c>), a sans and a serif face, so the set is not one typeface's rendering.
/// </summary>
public static class OcrFonts
{
    public static OcrFont WenQuanYiMicroHei { get; } =
        new("WenQuanYi Micro Hei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei", OcrScript.Chinese);

    public static OcrFont DejaVuSans { get; } =
        new("DejaVu Sans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core", OcrScript.Latin);

    public static OcrFont DejaVuSerif { get; } =
        new("DejaVu Serif", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "fonts-dejavu-core", OcrScript.Latin);

    public static IReadOnlyList<OcrFont> All { get; } = [WenQuanYiMicroHei, DejaVuSans, DejaVuSerif];
}
