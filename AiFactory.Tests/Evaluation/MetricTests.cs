using AiFactory.Evaluation.Metrics;

namespace AiFactory.Tests.Evaluation;

/// <summary>The task metrics on hand-made cases: a perfect prediction scores 1, a known miss scores what it should.</summary>
public sealed class MetricTests
{
    [Fact]
    public void A_perfect_transcription_has_character_accuracy_1_and_every_line_exact()
    {
        var accuracy = new CharacterAccuracy();
        accuracy.Add("0123456789", "0123456789");
        accuracy.Add("识别文字", "识别文字");

        Assert.Equal(1.0, accuracy.Accuracy);
        Assert.Equal(0.0, accuracy.CharacterErrorRate);
        Assert.Equal(1.0, accuracy.LineAccuracy);
    }

    [Fact]
    public void One_substitution_in_a_ten_character_line_scores_0_9()
    {
        var accuracy = new CharacterAccuracy();
        accuracy.Add("0123456789", "0123456780");

        Assert.Equal(0.9, accuracy.Accuracy, 12);
        Assert.Equal(0.1, accuracy.CharacterErrorRate, 12);
        Assert.Equal(0.0, accuracy.LineAccuracy);
    }

    [Fact]
    public void Errors_are_summed_over_the_set_so_a_line_weighs_its_length()
    {
        var accuracy = new CharacterAccuracy();
        accuracy.Add("abcd", "abcd");
        accuracy.Add("abcdefghij", "abdefghijX"); // one deletion, one insertion

        Assert.Equal(1 - 2.0 / 14, accuracy.Accuracy, 12);
        Assert.Equal(0.5, accuracy.LineAccuracy);
        Assert.Equal((2L, 14L), (accuracy.Errors, accuracy.ReferenceCharacters));
    }

    [Fact]
    public void Insertions_beyond_the_reference_take_character_accuracy_below_0()
    {
        var accuracy = new CharacterAccuracy();
        accuracy.Add("ab", "abcde");

        Assert.Equal(-0.5, accuracy.Accuracy, 12);
    }

    [Fact]
    public void Characters_are_code_points_so_one_outside_the_BMP_counts_once()
    {
        Assert.Equal(1, EditDistance.Between("𣇉字", "x字"));
        Assert.Equal(2, EditDistance.Length("𣇉字"));
        Assert.Equal(3, EditDistance.Between("kitten", "sitting"));
        Assert.Equal(4, EditDistance.Between("", "abcd"));
    }

    [Fact]
    public void Classification_accuracy_is_the_share_of_correct_classes()
    {
        var perfect = new ClassificationAccuracy();
        var oneMiss = new ClassificationAccuracy();
        foreach (var (expected, predicted) in new[] { (0, 0), (1, 1), (0, 0), (1, 0) })
        {
            perfect.Add(expected, expected);
            oneMiss.Add(expected, predicted);
        }

        Assert.Equal(1.0, perfect.Accuracy);
        Assert.Equal(0.75, oneMiss.Accuracy);
        Assert.True(double.IsNaN(new ClassificationAccuracy().Accuracy));
    }

    private static readonly Box[] FourLines =
    [
        new(10, 10, 200, 40), new(10, 60, 300, 90), new(10, 110, 250, 140), new(320, 10, 600, 40),
    ];

    [Fact]
    public void Boxes_found_exactly_score_precision_recall_and_F1_of_1()
    {
        var score = new DetectionScore();
        score.Add(FourLines, FourLines.Reverse().ToArray());

        Assert.Equal((1.0, 1.0, 1.0), (score.Precision, score.Recall, score.F1));
    }

    [Fact]
    public void One_missed_box_out_of_4_gives_recall_0_75_at_full_precision()
    {
        var score = new DetectionScore();
        score.Add(FourLines, FourLines[..3]);

        Assert.Equal(1.0, score.Precision);
        Assert.Equal(0.75, score.Recall);
        Assert.Equal(6.0 / 7, score.F1, 12);
    }

    [Fact]
    public void Intersection_over_union_is_computed_on_the_areas()
    {
        Assert.Equal(1.0 / 3, new Box(0, 0, 10, 10).IntersectionOverUnion(new Box(5, 0, 15, 10)), 12);
        Assert.Equal(1.0, new Box(0, 0, 10, 10).IntersectionOverUnion(new Box(0, 0, 10, 10)));
        Assert.Equal(0.0, new Box(0, 0, 10, 10).IntersectionOverUnion(new Box(10, 0, 20, 10)));
    }

    [Fact]
    public void A_box_under_IoU_0_5_is_both_a_miss_and_a_false_detection()
    {
        var score = new DetectionScore();
        // IoU 1/3: half the line's width, shifted.
        score.Add([new Box(0, 0, 10, 10)], [new Box(5, 0, 15, 10)]);

        Assert.Equal((0.0, 0.0, 0.0), (score.Precision, score.Recall, score.F1));
    }

    [Fact]
    public void Matching_is_one_to_one_so_a_duplicate_detection_is_a_false_positive()
    {
        var score = new DetectionScore();
        score.Add([new Box(0, 0, 100, 20)], [new Box(0, 0, 100, 20), new Box(1, 0, 100, 20)]);

        Assert.Equal(0.5, score.Precision);
        Assert.Equal(1.0, score.Recall);
    }

    [Fact]
    public void Matching_is_greedy_by_best_IoU_first()
    {
        // The long line overlaps both predictions (IoU 0.6 with the left one, 0.7 with the right one); the short line
        // only the left one (0.92). Matching the lines in order would give the left one to the long line and leave
        // the short line unmatched; best IoU first matches short-left, then long-right.
        Box[] truth = [new(0, 0, 100, 20), new(0, 0, 55, 20)];
        Box[] predicted = [new(0, 0, 60, 20), new(30, 0, 100, 20)];

        var score = new DetectionScore();
        Assert.Equal(2, score.Add(truth, predicted));
    }

    [Fact]
    public void Pages_are_summed_before_the_ratios()
    {
        var score = new DetectionScore();
        score.Add(FourLines, FourLines);
        score.Add([new Box(0, 0, 10, 10)], []);

        Assert.Equal(4.0 / 5, score.Recall);
        Assert.Equal(1.0, score.Precision);
    }
}
