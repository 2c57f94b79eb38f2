using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Tests.Evaluation;

/// <summary>
/// The real FP32 sample models on a small set of the default seed (40 lines, 4 pages), each above a floor under its
/// baseline (docs/optimization.md): clean rendered text, so a floor missed means the pre- or postprocessing broke.
/// </summary>
public sealed class SampleModelAccuracyTests
{
    private static readonly Lazy<OcrEvaluationSet> Set = new(() =>
        OcrEvaluationSet.Generate(new OcrSetOptions { Lines = 40, Pages = 4 }, OcrEvaluationSetTests.Dictionary));

    private static InferenceSession Open(string model) => new(RepositoryPaths.Model(model));

    [Fact]
    public void The_direction_classifier_tells_upright_from_turned_lines()
    {
        using var session = Open(SampleModels.TextDirection);

        var report = DirectionEvaluation.Evaluate(OnnxModelRun.For(session), Set.Value);

        Assert.Equal((40, 40), (report.Upright.Samples, report.Rotated.Samples));
        Assert.True(report.Upright.Accuracy >= 0.95 && report.Rotated.Accuracy >= 0.95,
            $"accuracy upright {report.Upright.Accuracy:F3}, rotated {report.Rotated.Accuracy:F3}; the floor is 0.95");
    }

    [Fact]
    public void The_recognizer_reads_the_lines_with_greedy_CTC_decoding()
    {
        using var session = Open(SampleModels.TextRecognition);

        var report = RecognitionEvaluation.Evaluate(OnnxModelRun.For(session), Set.Value, OcrEvaluationSetTests.Dictionary);

        Assert.True(report.Overall.Accuracy >= 0.95,
            $"character accuracy {report.Overall.Accuracy:F4} (floor 0.95), exact lines {report.Overall.LineAccuracy:F3}; mistakes: "
            + string.Join("; ", report.Mistakes.Select(m => $"'{m.Reference}' as '{m.Prediction}'")));
        Assert.True(report.Overall.LineAccuracy >= 0.7, $"exact lines {report.Overall.LineAccuracy:F3}; the floor is 0.7");
    }

    [Fact]
    public void The_detector_finds_the_lines_on_each_page_at_IoU_0_5()
    {
        using var session = Open(SampleModels.TextDetection);

        var score = DetectionEvaluation.Evaluate(OnnxModelRun.For(session), Set.Value);

        Assert.True(score.Precision >= 0.9 && score.Recall >= 0.9,
            $"precision {score.Precision:F3}, recall {score.Recall:F3} over {score.Truths} lines; the floor is 0.9 each");
    }

    [Fact]
    public void The_recognizer_scores_every_class_of_its_dictionary()
    {
        using var session = Open(SampleModels.TextRecognition);

        Assert.Equal([-1, 3, 48, -1], session.InputMetadata["x"].Dimensions);
        Assert.Equal(OcrEvaluationSetTests.Dictionary.ClassCount, session.OutputMetadata.Values.Single().Dimensions[^1]);

        // At the served width, 320 (models/text-recognition/config.json): 40 time steps, one per 8 pixels.
        var output = OnnxModelRun.For(session)(new FloatTensor(new float[3 * 48 * 320], [1, 3, 48, 320]));
        Assert.Equal([1, 40, OcrEvaluationSetTests.Dictionary.ClassCount], output.Shape);
    }
}
