using AiFactory.Evaluation.Images;
using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Text;
using SkiaSharp;

namespace AiFactory.Evaluation.Ocr;

/// <summary>How large a set to generate, and from which seed.</summary>
public sealed record OcrSetOptions
{
    /// <summary>The seed of the default set (the one <c>docs/optimization.md</c> reports on).</summary>
    public const int DefaultSeed = 12;

    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Text lines; the direction classifier sees each twice, upright and rotated.</summary>
    public int Lines { get; init; } = 300;

    /// <summary>Pages of several lines each, for the detector.</summary>
    public int Pages { get; init; } = 20;
}

/// <summary>One rendered text line and the string it shows.</summary>
public sealed record TextLineSample(string Text, OcrFont Font, BgrImage Image);

/// <summary>A line on a page: its text, font, and the box its ink covers.</summary>
public sealed record PageLine(string Text, OcrFont Font, Box Box);

/// <summary>A rendered page and the lines on it.</summary>
public sealed record PageSample(BgrImage Image, IReadOnlyList<PageLine> Lines);

/// <summary>
/// The labelled evaluation set of the OCR sample models, generated in code from a seed: text lines (for the
/// recognizer, and upright and turned 180° for the direction classifier) and pages with several lines at known
/// places (for the detector). Every sample draws from its own generator, seeded from the set's seed, the kind of
/// sample and its index, so a smaller set is the start of a larger one with the same seed, and the same seed gives
/// the same strings everywhere (and the same pixels with the same font files and SkiaSharp version).
/// </summary>
public sealed class OcrEvaluationSet
{
    public const int PageSize = 640;

    // A line at most 320/48 as wide as high fits the recognizer's fixed input without squeezing (LineTensor).
    private const double MaxLineAspect = (double)LineTensor.RecognitionWidth / LineTensor.Height;
    private const int PageMargin = 16;

    private OcrEvaluationSet(int seed, IReadOnlyList<TextLineSample> lines, IReadOnlyList<PageSample> pages) =>
        (Seed, Lines, Pages) = (seed, lines, pages);

    public int Seed { get; }

    public IReadOnlyList<TextLineSample> Lines { get; }

    public IReadOnlyList<PageSample> Pages { get; }

    public static OcrEvaluationSet Generate(OcrSetOptions options, RecognitionDictionary dictionary)
    {
        var alphabets = OcrFonts.All.ToDictionary(font => font, font => OcrAlphabet.For(font, dictionary));
        using var renderer = new TextRenderer();
        var lines = Enumerable.Range(0, options.Lines).Select(i => Line(SampleRandom(options.Seed, 1, i), alphabets, renderer)).ToList();
        var pages = Enumerable.Range(0, options.Pages).Select(i => Page(SampleRandom(options.Seed, 2, i), alphabets, renderer)).ToList();
        return new OcrEvaluationSet(options.Seed, lines, pages);
    }

    /// <summary>
    /// The first <paramref name="lines"/> lines and <paramref name="pages"/> pages: the set <see cref="Generate"/> makes
    /// at that size from the same seed, without rendering it again.
    /// </summary>
    public OcrEvaluationSet Take(int lines, int pages)
    {
        if (lines > Lines.Count || pages > Pages.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(lines), $"{lines} lines and {pages} pages asked of a set of {Lines.Count} and {Pages.Count}");
        }

        return new OcrEvaluationSet(Seed, Lines.Take(lines).ToList(), Pages.Take(pages).ToList());
    }

    // Not HashCode.Combine: that is seeded per process.
    private static Random SampleRandom(int seed, int kind, int index) => new(unchecked(seed * 1_000_003 + kind * 100_003 + index));

    private static TextLineSample Line(Random random, Dictionary<OcrFont, OcrAlphabet> alphabets, TextRenderer renderer)
    {
        var font = PickFont(random);
        var size = random.Next(28, 45);
        var (paper, ink) = Colours(random);
        var (padX, padY) = (size * (0.1f + 0.3f * random.NextSingle()), size * (0.05f + 0.2f * random.NextSingle()));
        var text = TextLineGenerator.Next(random, alphabets[font]);
        while (true)
        {
            var (width, ascent, descent) = renderer.Measure(text, font, size);
            var (imageWidth, imageHeight) = ((int)Math.Ceiling(width + 2 * padX), (int)Math.Ceiling(descent - ascent + 2 * padY));
            if ((double)imageWidth / imageHeight <= MaxLineAspect || !TryShorten(ref text))
            {
                var image = renderer.Draw(imageWidth, imageHeight, paper, [new TextRun(text, font, size, ink, padX, padY - ascent)]);
                return new TextLineSample(text, font, image);
            }
        }
    }

    private static PageSample Page(Random random, Dictionary<OcrFont, OcrAlphabet> alphabets, TextRenderer renderer)
    {
        var (paper, _) = Colours(random);
        var runs = new List<TextRun>();
        var taken = new List<Box>();
        for (var wanted = random.Next(4, 9); wanted > 0; wanted--)
        {
            var font = PickFont(random);
            var size = random.Next(18, 37);
            var (_, ink) = Colours(random);
            var text = TextLineGenerator.Next(random, alphabets[font]);
            var (width, ascent, descent) = renderer.Measure(text, font, size);
            while (width > PageSize - 2 * PageMargin && TryShorten(ref text))
            {
                width = renderer.Measure(text, font, size).Width;
            }

            // A few tries at a free place. The gaps keep lines apart as a document does: 0.6 em between rows, and 2 em
            // between lines side by side, which closer would read, to a person and to the detector, as one line.
            for (var attempt = 0; attempt < 30; attempt++)
            {
                var x = PageMargin + random.NextSingle() * (PageSize - 2 * PageMargin - width);
                var baseline = PageMargin - ascent + random.NextSingle() * (PageSize - 2 * PageMargin - (descent - ascent));
                var extent = new Box(x, baseline + ascent, x + width, baseline + descent);
                var clearance = new Box(extent.Left - 2 * size, extent.Top - 0.6f * size, extent.Right + 2 * size, extent.Bottom + 0.6f * size);
                if (!taken.Any(box => box.Overlaps(clearance)))
                {
                    taken.Add(extent);
                    runs.Add(new TextRun(text, font, size, ink, x, baseline));
                    break;
                }
            }
        }

        var image = renderer.Draw(PageSize, PageSize, paper, runs);
        return new PageSample(image, [.. runs.Select(run => new PageLine(run.Text, run.Font, renderer.InkBox(run)))]);
    }

    /// <summary>Half the samples Chinese, the other half Latin in one of the two Latin faces.</summary>
    private static OcrFont PickFont(Random random) =>
        random.Next(2) == 0 ? OcrFonts.WenQuanYiMicroHei : random.Next(2) == 0 ? OcrFonts.DejaVuSans : OcrFonts.DejaVuSerif;

    /// <summary>Light paper and dark ink, each grey with a slight tint: printed text, not a clean black on white only.</summary>
    private static (SKColor Paper, SKColor Ink) Colours(Random random)
    {
        var paper = random.Next(200, 256);
        var ink = random.Next(0, 80);
        byte Tint(int level) => (byte)Math.Clamp(level + random.Next(-10, 11), 0, 255);
        return (new SKColor(Tint(paper), Tint(paper), Tint(paper)), new SKColor(Tint(ink), Tint(ink), Tint(ink)));
    }

    /// <summary>Drops the last character (and a space it leaves at the end); false, text unchanged, at two characters.</summary>
    private static bool TryShorten(ref string text)
    {
        var runes = text.EnumerateRunes().ToList();
        if (runes.Count <= 2)
        {
            return false;
        }

        text = string.Concat(runes.Take(runes.Count - 1).Select(rune => rune.ToString())).TrimEnd();
        return true;
    }
}
