using AiFactory.Evaluation.Images;
using AiFactory.Evaluation.Metrics;
using SkiaSharp;

namespace AiFactory.Evaluation.Text;

/// <summary>One run of text to draw: where its baseline starts, in which font, size and colour.</summary>
public sealed record TextRun(string Text, OcrFont Font, float Size, SKColor Ink, float X, float Baseline);

/// <summary>
/// Draws text with Skia: grey-scale antialiasing (no subpixel colour fringes, no hinting that depends on the
/// machine), fonts opened from their files. The same strings, fonts and sizes give the same pixels on every machine
/// with the same font files and SkiaSharp version.
/// </summary>
public sealed class TextRenderer : IDisposable
{
    private readonly Dictionary<OcrFont, SKTypeface> _typefaces = [];

    /// <summary>The advance width of the text and the font's line extent above (negative) and below the baseline.</summary>
    public (float Width, float Ascent, float Descent) Measure(string text, OcrFont font, float size)
    {
        using var skFont = CreateFont(font, size);
        return (skFont.MeasureText(text), skFont.Metrics.Ascent, skFont.Metrics.Descent);
    }

    /// <summary>The box the text's ink covers when drawn as <paramref name="run"/> says: what an annotator would draw around the line.</summary>
    public Box InkBox(TextRun run)
    {
        using var skFont = CreateFont(run.Font, run.Size);
        skFont.MeasureText(run.Text, out var bounds);
        return new Box(run.X + bounds.Left, run.Baseline + bounds.Top, run.X + bounds.Right, run.Baseline + bounds.Bottom);
    }

    /// <summary>An image of the size given, filled with <paramref name="paper"/>, with every run drawn on it.</summary>
    public BgrImage Draw(int width, int height, SKColor paper, IEnumerable<TextRun> runs)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(paper);
            foreach (var run in runs)
            {
                using var skFont = CreateFont(run.Font, run.Size);
                using var paint = new SKPaint { Color = run.Ink, IsAntialias = true };
                canvas.DrawText(run.Text, run.X, run.Baseline, SKTextAlign.Left, skFont, paint);
            }
        }

        return BgrImage.FromBitmap(bitmap);
    }

    private SKFont CreateFont(OcrFont font, float size)
    {
        if (!_typefaces.TryGetValue(font, out var typeface))
        {
            _typefaces[font] = typeface = font.Open();
        }

        return new SKFont(typeface, size) { Edging = SKFontEdging.Antialias, Hinting = SKFontHinting.None, Subpixel = true };
    }

    public void Dispose()
    {
        foreach (var typeface in _typefaces.Values)
        {
            typeface.Dispose();
        }

        _typefaces.Clear();
    }
}
