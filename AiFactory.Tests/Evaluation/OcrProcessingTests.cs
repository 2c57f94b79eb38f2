using System.Text;
using AiFactory.Evaluation.Images;
using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;

namespace AiFactory.Tests.Evaluation;

/// <summary>PaddleOCR's pre- and postprocessing, on inputs small enough to work out by hand.</summary>
public sealed class OcrProcessingTests
{
    // Classes: 0 blank, 1 'a', 2 'b', 3 '字', 4 space.
    private static readonly RecognitionDictionary Dictionary = RecognitionDictionary.Parse(Encoding.UTF8.GetBytes("a\r\nb\n字\n"));

    private static FloatTensor Steps(params int[] best)
    {
        var data = new float[best.Length * Dictionary.ClassCount];
        for (var step = 0; step < best.Length; step++)
        {
            data[step * Dictionary.ClassCount + best[step]] = 0.9f;
        }

        return new FloatTensor(data, [1, best.Length, Dictionary.ClassCount]);
    }

    [Fact]
    public void The_dictionary_is_blank_then_its_lines_then_a_space()
    {
        Assert.Equal(5, Dictionary.ClassCount);
        Assert.Equal(["", "a", "b", "字", " "], Enumerable.Range(0, 5).Select(i => Dictionary[i]));
    }

    [Fact]
    public void Greedy_CTC_collapses_repeats_and_drops_blanks()
    {
        Assert.Equal("aab", CtcGreedyDecoder.Decode(Steps(1, 1, 0, 1, 2, 2, 0), Dictionary).Single());
        Assert.Equal("a 字", CtcGreedyDecoder.Decode(Steps(0, 1, 4, 4, 3), Dictionary).Single());
        Assert.Equal("", CtcGreedyDecoder.Decode(Steps(0, 0, 0), Dictionary).Single());
    }

    [Fact]
    public void A_recognizer_with_another_dictionary_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => CtcGreedyDecoder.Decode(new FloatTensor(new float[6], [1, 1, 6]), Dictionary));
        Assert.StartsWith("the recognizer scores 6 classes, but the dictionary makes 5 (blank, 3 entries, space)", error.Message);
    }

    [Fact]
    public void A_line_is_resized_to_height_48_scaled_to_minus_1_to_1_and_padded_with_0()
    {
        // 48x24 white: resized to 96x48 (aspect 2), white is (255/255 - 0.5)/0.5 = 1, the rest of the 192 is 0.
        var white = new BgrImage(48, 24, Enumerable.Repeat((byte)255, 48 * 24 * 3).ToArray());

        var tensor = LineTensor.Create([white], LineTensor.DirectionWidth);

        Assert.Equal([1, 3, 48, 192], tensor.Shape);
        Assert.All(Enumerable.Range(0, 96), x => Assert.Equal(1f, tensor.Data[2 * 48 * 192 + 47 * 192 + x]));
        Assert.All(Enumerable.Range(96, 96), x => Assert.Equal(0f, tensor.Data[47 * 192 + x]));
    }

    [Fact]
    public void A_line_wider_than_the_input_is_squeezed_to_it()
    {
        var black = new BgrImage(1000, 48, new byte[1000 * 48 * 3]);

        var tensor = LineTensor.Create([black], LineTensor.RecognitionWidth);

        Assert.Equal([1, 3, 48, 320], tensor.Shape);
        Assert.All(tensor.Data, value => Assert.Equal(-1f, value));
    }

    [Fact]
    public void A_page_is_resized_to_multiples_of_32_and_normalised_with_ImageNet_mean_and_std_per_BGR_channel()
    {
        // 100x50: sides round to 96 and 64 (round(100/32) = 3, round(50/32) = 2).
        var white = new BgrImage(100, 50, Enumerable.Repeat((byte)255, 100 * 50 * 3).ToArray());

        var input = DetectionInput.Create(white);

        Assert.Equal([1, 3, 64, 96], input.Tensor.Shape);
        Assert.Equal((100, 50), (input.PageWidth, input.PageHeight));
        var plane = 64 * 96;
        Assert.Equal((1 - 0.485f) / 0.229f, input.Tensor.Data[0], 5);
        Assert.Equal((1 - 0.456f) / 0.224f, input.Tensor.Data[plane], 5);
        Assert.Equal((1 - 0.406f) / 0.225f, input.Tensor.Data[2 * plane], 5);
    }

    [Fact]
    public void A_page_longer_than_960_is_scaled_down_first()
    {
        var page = new BgrImage(1920, 100, new byte[1920 * 100 * 3]);

        Assert.Equal([1, 3, 64, 960], DetectionInput.Create(page).Tensor.Shape);
    }

    private static FloatTensor Map(int width, int height, float value, int left, int top, int right, int bottom)
    {
        var data = new float[width * height];
        for (var y = top; y <= bottom; y++)
        {
            for (var x = left; x <= right; x++)
            {
                data[y * width + x] = value;
            }
        }

        return new FloatTensor(data, [1, 1, height, width]);
    }

    [Fact]
    public void A_confident_region_becomes_its_rectangle_grown_by_area_times_1_5_over_perimeter()
    {
        // Pixels x 10..29, y 20..29: a 19 x 9 box (contour points), grown by 19·9·1.5 / (2·28) = 4.58 on each side.
        var boxes = DbBoxExtractor.Extract(Map(64, 64, 0.9f, 10, 20, 29, 29), 64, 64);

        Assert.Equal(new Box(5, 15, 34, 34), Assert.Single(boxes));
    }

    [Fact]
    public void Boxes_are_scaled_back_to_the_page()
    {
        var boxes = DbBoxExtractor.Extract(Map(64, 64, 0.9f, 10, 20, 29, 29), 128, 32);

        Assert.Equal(new Box(11, 8, 67, 17), Assert.Single(boxes));
    }

    [Fact]
    public void A_region_under_the_box_threshold_or_under_3_pixels_is_no_text()
    {
        Assert.Empty(DbBoxExtractor.Extract(Map(64, 64, 0.5f, 10, 20, 29, 29), 64, 64));
        Assert.Empty(DbBoxExtractor.Extract(Map(64, 64, 0.9f, 10, 20, 29, 21), 64, 64));
    }

    [Fact]
    public void Regions_apart_are_separate_boxes()
    {
        var map = Map(64, 64, 0.9f, 2, 2, 20, 10);
        var other = Map(64, 64, 0.9f, 2, 40, 20, 50);
        for (var i = 0; i < map.Data.Length; i++)
        {
            map.Data[i] = Math.Max(map.Data[i], other.Data[i]);
        }

        Assert.Equal(2, DbBoxExtractor.Extract(map, 64, 64).Count);
    }
}
