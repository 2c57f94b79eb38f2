using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Ocr;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Evaluation;

/// <summary>The generated OCR set: reproducible from its seed, labelled with what was drawn, and drawable by the recognizer's dictionary.</summary>
public sealed class OcrEvaluationSetTests
{
    public static RecognitionDictionary Dictionary { get; } = RecognitionDictionary.Load(
        Path.Combine(RepositoryPaths.Models, OcrModels.Recognition, OcrModels.DictionaryFileName));

    private static OcrEvaluationSet Generate(int seed, int lines = 20, int pages = 3) =>
        OcrEvaluationSet.Generate(new OcrSetOptions { Seed = seed, Lines = lines, Pages = pages }, Dictionary);

    [Fact]
    public void The_same_seed_gives_the_same_strings_and_pixels()
    {
        var first = Generate(7);
        var second = Generate(7);

        Assert.Equal(first.Lines.Select(line => line.Text), second.Lines.Select(line => line.Text));
        Assert.All(first.Lines.Zip(second.Lines), pair => Assert.Equal(pair.First.Image.Pixels, pair.Second.Image.Pixels));
        Assert.All(first.Pages.Zip(second.Pages), pair => Assert.Equal(pair.First.Image.Pixels, pair.Second.Image.Pixels));
        Assert.Equal(first.Pages.SelectMany(page => page.Lines), second.Pages.SelectMany(page => page.Lines));
    }

    [Fact]
    public void Another_seed_gives_other_strings()
    {
        Assert.NotEqual(Generate(7).Lines.Select(line => line.Text), Generate(8).Lines.Select(line => line.Text));
    }

    [Fact]
    public void A_smaller_set_is_the_start_of_a_larger_one_with_the_same_seed()
    {
        var small = Generate(OcrSetOptions.DefaultSeed, lines: 5, pages: 1);
        var large = Generate(OcrSetOptions.DefaultSeed, lines: 20, pages: 3);

        Assert.Equal(small.Lines.Select(line => line.Text), large.Lines.Take(5).Select(line => line.Text));
        Assert.Equal(small.Pages[0].Lines, large.Pages[0].Lines);
        // So taking the start of the larger set is the smaller one, pixels included, without rendering it again.
        var taken = large.Take(5, 1);
        Assert.Equal((OcrSetOptions.DefaultSeed, 5, 1), (taken.Seed, taken.Lines.Count, taken.Pages.Count));
        Assert.All(small.Lines.Zip(taken.Lines), pair => Assert.Equal(pair.First.Image.Pixels, pair.Second.Image.Pixels));
        Assert.Equal(small.Pages[0].Image.Pixels, taken.Pages[0].Image.Pixels);
        Assert.Throws<ArgumentOutOfRangeException>(() => large.Take(21, 1));
    }

    [Fact]
    public void Every_label_is_text_the_recognizer_can_output_and_both_scripts_are_there()
    {
        var set = Generate(OcrSetOptions.DefaultSeed, lines: 40);
        var characters = Dictionary.Characters.Append(" ").ToHashSet();

        Assert.All(set.Lines.Concat(set.Pages.SelectMany(page => page.Lines.Select(line => new TextLineSample(line.Text, line.Font, page.Image)))),
            line => Assert.All(line.Text.EnumerateRunes(), rune => Assert.Contains(rune.ToString(), characters)));
        Assert.Contains(set.Lines, line => line.Text.Any(c => c is >= '\u4e00' and <= '\u9fff'));
        Assert.Contains(set.Lines, line => line.Text.Any(char.IsAsciiLetter));
    }

    [Fact]
    public void Every_line_fits_the_recognizer_input_without_squeezing()
    {
        Assert.All(Generate(OcrSetOptions.DefaultSeed, lines: 100, pages: 0).Lines,
            line => Assert.InRange(LineTensor.ResizedWidth(line.Image, int.MaxValue), 1, LineTensor.RecognitionWidth));
    }

    [Fact]
    public void Lines_on_a_page_lie_inside_it_and_apart()
    {
        foreach (var page in Generate(OcrSetOptions.DefaultSeed, lines: 0, pages: 5).Pages)
        {
            Assert.InRange(page.Lines.Count, 2, 8);
            var inside = new Box(0, 0, OcrEvaluationSet.PageSize, OcrEvaluationSet.PageSize);
            Assert.All(page.Lines, line => Assert.Equal(line.Box.Area, line.Box.IntersectionOverUnion(inside) * inside.Area, 1));
            Assert.All(page.Lines, line => Assert.DoesNotContain(page.Lines, other => other != line && other.Box.Overlaps(line.Box)));
        }
    }

    [Fact]
    public void The_ink_is_where_the_labels_say()
    {
        // Pixels inside a line's box differ from the paper; a band well away from every line is paper only.
        var page = Generate(OcrSetOptions.DefaultSeed, lines: 0, pages: 1).Pages[0];
        var paper = page.Image.Pixels.AsSpan(0, 3).ToArray();
        bool IsInk(int x, int y) => !page.Image.Pixels.AsSpan((y * page.Image.Width + x) * 3, 3).SequenceEqual(paper);

        foreach (var line in page.Lines)
        {
            var inkPixels = 0;
            for (var y = (int)line.Box.Top; y < (int)line.Box.Bottom; y++)
            {
                for (var x = (int)line.Box.Left; x < (int)line.Box.Right; x++)
                {
                    inkPixels += IsInk(x, y) ? 1 : 0;
                }
            }

            Assert.True(inkPixels > line.Box.Area / 20, $"'{line.Text}' at {line.Box} has {inkPixels} ink pixels");
        }

        for (var y = 0; y < page.Image.Height; y++)
        {
            for (var x = 0; x < page.Image.Width; x++)
            {
                if (!page.Lines.Any(line => line.Box.Inflate(2).Overlaps(new Box(x, y, x + 1, y + 1))))
                {
                    Assert.False(IsInk(x, y), $"ink at {x},{y}, outside every labelled line");
                }
            }
        }
    }

    [Fact]
    public void A_line_turned_180_degrees_is_its_pixels_in_reverse()
    {
        var line = Generate(OcrSetOptions.DefaultSeed, lines: 1, pages: 0).Lines[0].Image;
        var turned = line.Rotate180();

        Assert.Equal(line.Pixels.AsSpan(0, 3).ToArray(), turned.Pixels.AsSpan(turned.Pixels.Length - 3).ToArray());
        Assert.Equal(line.Pixels, turned.Rotate180().Pixels);
        Assert.NotEqual(line.Pixels, turned.Pixels);
    }
}
