using System.Diagnostics;
using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Inference.Ocr;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Inference.Validation;

/// <summary>
/// The task metrics of an OCR sample model (<see cref="OcrModels.TaskOf"/>) for the validation report: the candidate
/// and the reference measured on the same set (<see cref="OcrEvaluationSets.ForValidation"/>), so an optimized version's accuracy stands
/// beside the version taking traffic. Never fails a validation: what cannot be measured is said in the report.
/// </summary>
public sealed class TaskMetricsMeter(OcrEvaluationSets sets)
{
    /// <summary>Null for a model with no task of its own; <paramref name="problems"/> gets a reference that could not be measured.</summary>
    public TaskCheck? Measure(string model, InferenceSession candidate, InferenceSession? reference, long? referenceVersion, List<string> problems)
    {
        if (OcrModels.TaskOf(model) is not { } task)
        {
            return null;
        }

        var ocr = sets.ForValidation();
        if (ocr.Set is not { } set || ocr.Dictionary is not { } dictionary)
        {
            return new TaskCheck(model, null, null, null, null, null, null, ocr.Unavailable);
        }

        var description = $"OCR evaluation set (seed {set.Seed}, {set.Lines.Count} lines, {set.Pages.Count} pages)";

        var started = Stopwatch.GetTimestamp();
        var (measured, failure) = Run(task, candidate, set, dictionary);
        if (measured is null)
        {
            return new TaskCheck(model, description, null, null, null, null, null, $"the candidate cannot run the {description}: {failure}");
        }

        IReadOnlyList<TaskMetricValue>? referenceMetrics = null;
        if (reference is not null)
        {
            (referenceMetrics, failure) = Run(task, reference, set, dictionary);
            if (referenceMetrics is null)
            {
                problems.Add($"the task metrics of version {referenceVersion} could not be measured: {failure}");
            }
        }

        var headline = measured[0];
        var referenceHeadline = referenceMetrics?[0].Value;
        return new TaskCheck(model, description, measured, referenceMetrics, referenceMetrics is null ? null : referenceVersion,
            new HeadlineComparison(headline.Name, headline.Value, referenceHeadline, headline.Value - referenceHeadline),
            Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 3), null);
    }

    private static (IReadOnlyList<TaskMetricValue>? Metrics, string? Failure) Run(OcrTask task, InferenceSession session, OcrEvaluationSet set, RecognitionDictionary dictionary)
    {
        try
        {
            var report = OcrTaskEvaluation.Measure(task, OnnxModelRun.For(session), set, dictionary);
            return ([.. report.Metrics.Select(metric => new TaskMetricValue(metric.Name, Finite(metric.Value), metric.Samples, metric.HigherIsBetter))], null);
        }
        catch (Exception e) when (e is OnnxRuntimeException or InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // A model of the sample's name that takes other inputs or gives other outputs than the task's.
            return (null, e.Message);
        }
    }

    /// <summary>JSON has no NaN: a metric over nothing is null.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
