using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;

namespace AiFactory.Tests.Evaluation;

/// <summary>
/// The entry point the validation report and the calibration call with a model's task, on models whose answers are
/// known: one that always says "upright", one that reads nothing, one that finds nothing.
/// </summary>
public sealed class OcrTaskEvaluationTests
{
    private static readonly Lazy<OcrEvaluationSet> Set = new(() =>
        OcrEvaluationSet.Generate(new OcrSetOptions { Lines = 8, Pages = 2 }, OcrEvaluationSetTests.Dictionary));

    /// <summary>A model that gives every row of its batch the same scores, of the given per-row shape.</summary>
    private static ModelRun Constant(Func<int, float> score, params int[] rowShape) => input =>
    {
        var shape = new[] { input.Shape[0] }.Concat(rowShape).ToArray();
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = score(i % rowShape[^1]);
        }

        return new FloatTensor(data, shape);
    };

    [Fact]
    public void A_classifier_that_always_says_upright_is_right_on_half_the_samples()
    {
        var report = OcrTaskEvaluation.Measure(OcrTask.Direction, Constant(c => c == 0 ? 0.9f : 0.1f, 2), Set.Value, OcrEvaluationSetTests.Dictionary);

        Assert.Equal(
            [("accuracy, both", 0.5, 16), ("accuracy, upright lines", 1.0, 8), ("accuracy, rotated 180°", 0.0, 8)],
            report.Metrics.Select(m => (m.Name, m.Value, m.Samples)));
        Assert.Equal("accuracy, both", report.Headline.Name);
    }

    [Fact]
    public void A_recognizer_that_reads_only_blanks_scores_character_accuracy_0_and_CER_1()
    {
        var classes = OcrEvaluationSetTests.Dictionary.ClassCount;
        var report = OcrTaskEvaluation.Measure(OcrTask.Recognition, Constant(c => c == 0 ? 1f : 0f, 40, classes), Set.Value, OcrEvaluationSetTests.Dictionary);

        Assert.Equal("character accuracy (1 − CER)", report.Headline.Name);
        Assert.Equal((0.0, 8), (report.Headline.Value, report.Headline.Samples));
        var cer = Assert.Single(report.Metrics, m => m.Name == "CER");
        Assert.Equal((1.0, false), (cer.Value, cer.HigherIsBetter));
        Assert.Equal(0.0, Assert.Single(report.Metrics, m => m.Name == "exact lines").Value);
        Assert.All(report.Mistakes, mistake => Assert.Equal("", mistake.Prediction));
        Assert.Equal(8, report.Mistakes.Count);
    }

    [Fact]
    public void A_detector_that_finds_nothing_has_recall_and_F1_0()
    {
        ModelRun nothing = input => new FloatTensor(new float[input.Shape[2] * input.Shape[3]], [1, 1, input.Shape[2], input.Shape[3]]);

        var report = OcrTaskEvaluation.Measure(OcrTask.Detection, nothing, Set.Value, OcrEvaluationSetTests.Dictionary);

        var lines = Set.Value.Pages.Sum(page => page.Lines.Count);
        Assert.Equal(("box F1 at IoU 0.5", 0.0, lines), (report.Headline.Name, report.Headline.Value, report.Headline.Samples));
        Assert.Equal(0.0, Assert.Single(report.Metrics, m => m.Name == "box recall at IoU 0.5").Value);
        Assert.True(double.IsNaN(Assert.Single(report.Metrics, m => m.Name == "box precision at IoU 0.5").Value), "no prediction, no precision");
    }

    [Theory]
    [InlineData(OcrTask.Direction, 2, 8, 192)]
    [InlineData(OcrTask.Recognition, 1, 8, 320)]
    [InlineData(OcrTask.Detection, 0, 1, 640)]
    public void Calibration_inputs_are_the_sets_samples_preprocessed_for_the_model(OcrTask task, int perLine, int batch, int width)
    {
        var inputs = OcrTaskEvaluation.CalibrationInputs(task, Set.Value).ToList();

        // Lines (twice for the classifier: upright and turned) in batches of 8, or one page per input.
        Assert.Equal(perLine == 0 ? Set.Value.Pages.Count : perLine * Set.Value.Lines.Count / batch, inputs.Count);
        Assert.All(inputs, input => Assert.Equal([batch, 3, task == OcrTask.Detection ? 640 : 48, width], input.Shape));
    }
}
