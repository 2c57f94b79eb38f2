using AiFactory.Evaluation.Labelled;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Inference.Validation;

/// <summary>
/// Scores a version's own labelled set (docs/optimization.md, "A model's own labelled set") on the candidate and on
/// the reference. A set the candidate cannot be scored on is a problem of the report, not a failed validation: the
/// model may be fine and the set wrong.
/// </summary>
public static class LabelledSetScorer
{
    public static LabelledSetCheck Score(string sha256, LabelledSet set, InferenceSession candidate, InferenceSession? reference, long? referenceVersion,
        List<string> problems)
    {
        var candidateScore = Score(candidate);
        if (candidateScore.Error is { } error)
        {
            problems.Add($"the labelled set cannot be scored on this version: {error}");
        }

        var referenceScore = reference is null ? null : Score(reference);
        return new LabelledSetCheck(sha256, LabelledMetrics.Name(set.Metric), set.Output, set.Samples.Count, candidateScore, referenceScore,
            referenceScore is null ? null : referenceVersion, null);

        LabelledScore Score(InferenceSession session)
        {
            try
            {
                var report = LabelledSetEvaluator.Evaluate(session, set);
                return new LabelledScore(TaskMetricsMeter.Finite(report.Score), report.MeanAbsError is { } mean ? TaskMetricsMeter.Finite(mean) : null, null);
            }
            catch (LabelledSetException e)
            {
                return new LabelledScore(null, null, e.Message);
            }
        }
    }
}
