using AiFactory.Evaluation.Running;

namespace AiFactory.Evaluation.Ocr;

/// <summary>One task metric of a model on a set, as a report shows it.</summary>
/// <param name="Name">What is measured, e.g. "character accuracy (1 − CER)".</param>
/// <param name="Value">The measure; NaN where the set held nothing to measure.</param>
/// <param name="Samples">What the ratio is over: lines, or boxes for the detector.</param>
/// <param name="HigherIsBetter">False for error rates, so a comparison with the parent knows which way is a drop.</param>
public sealed record TaskMetric(string Name, double Value, int Samples, bool HigherIsBetter = true);

/// <summary>A model's task metrics on the set, its headline first, with the recognizer's first mistakes to look at.</summary>
public sealed record OcrTaskReport(OcrTask Task, IReadOnlyList<TaskMetric> Metrics, IReadOnlyList<(string Reference, string Prediction)> Mistakes)
{
    /// <summary>The metric an optimized version is judged on beside its parent: direction accuracy on both, character accuracy, box F1.</summary>
    public TaskMetric Headline => Metrics[0];
}

/// <summary>
/// The one entry point for callers that hold a model and its task rather than a particular evaluation (the benchmark,
/// the validation report, the INT8 static calibration): the task's metrics on the set, and its calibration inputs.
/// </summary>
public static class OcrTaskEvaluation
{
    public static OcrTaskReport Measure(OcrTask task, ModelRun run, OcrEvaluationSet set, RecognitionDictionary dictionary) => task switch
    {
        OcrTask.Direction => Direction(run, set),
        OcrTask.Recognition => Recognition(run, set, dictionary),
        OcrTask.Detection => Detection(run, set),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "not an OCR task"),
    };

    /// <summary>The model's inputs for the set, preprocessed and batched as its evaluation runs them: the default calibration data.</summary>
    public static IEnumerable<FloatTensor> CalibrationInputs(OcrTask task, OcrEvaluationSet set) => task switch
    {
        OcrTask.Direction => DirectionEvaluation.Inputs(set),
        OcrTask.Recognition => RecognitionEvaluation.Inputs(set),
        OcrTask.Detection => DetectionEvaluation.Inputs(set),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "not an OCR task"),
    };

    private static OcrTaskReport Direction(ModelRun run, OcrEvaluationSet set)
    {
        var report = DirectionEvaluation.Evaluate(run, set);
        return new OcrTaskReport(OcrTask.Direction,
        [
            new("accuracy, both", report.Overall.Accuracy, report.Overall.Samples),
            new("accuracy, upright lines", report.Upright.Accuracy, report.Upright.Samples),
            new("accuracy, rotated 180°", report.Rotated.Accuracy, report.Rotated.Samples),
        ], []);
    }

    private static OcrTaskReport Recognition(ModelRun run, OcrEvaluationSet set, RecognitionDictionary dictionary)
    {
        var report = RecognitionEvaluation.Evaluate(run, set, dictionary);
        List<TaskMetric> metrics = [new("character accuracy (1 − CER)", report.Overall.Accuracy, report.Overall.Lines)];
        metrics.AddRange(report.ByScript.OrderBy(pair => pair.Key)
            .Select(pair => new TaskMetric($"character accuracy, {pair.Key}", pair.Value.Accuracy, pair.Value.Lines)));
        metrics.Add(new("CER", report.Overall.CharacterErrorRate, report.Overall.Lines, HigherIsBetter: false));
        metrics.Add(new("exact lines", report.Overall.LineAccuracy, report.Overall.Lines));
        return new OcrTaskReport(OcrTask.Recognition, metrics, report.Mistakes);
    }

    private static OcrTaskReport Detection(ModelRun run, OcrEvaluationSet set)
    {
        var score = DetectionEvaluation.Evaluate(run, set);
        return new OcrTaskReport(OcrTask.Detection,
        [
            new("box F1 at IoU 0.5", score.F1, score.Truths),
            new("box precision at IoU 0.5", score.Precision, score.Predictions),
            new("box recall at IoU 0.5", score.Recall, score.Truths),
        ], []);
    }
}
