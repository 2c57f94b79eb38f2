namespace AiFactory.Evaluation.Metrics;

/// <summary>
/// Box precision, recall and F1 at an IoU threshold (0.5 unless given), accumulated page by page. On each page the
/// predicted and true boxes are matched one to one, greedily: every pair with IoU ≥ the threshold, best IoU first,
/// each box used at most once. Matched predictions are true positives; precision = true positives / predictions,
/// recall = true positives / true boxes, F1 = 2 · TP / (predictions + true boxes), all summed over the pages (so a
/// page with many lines weighs more). A ratio over zero boxes is NaN.
/// </summary>
public sealed class DetectionScore(double iouThreshold = 0.5)
{
    public double IouThreshold { get; } = iouThreshold;

    public int TruePositives { get; private set; }

    public int Predictions { get; private set; }

    public int Truths { get; private set; }

    /// <summary>Scores one page; returns its true positives.</summary>
    public int Add(IReadOnlyList<Box> truth, IReadOnlyList<Box> predicted)
    {
        var pairs = new List<(double Iou, int Truth, int Predicted)>();
        for (var t = 0; t < truth.Count; t++)
        {
            for (var p = 0; p < predicted.Count; p++)
            {
                var iou = truth[t].IntersectionOverUnion(predicted[p]);
                if (iou >= IouThreshold)
                {
                    pairs.Add((iou, t, p));
                }
            }
        }

        var truthUsed = new bool[truth.Count];
        var predictedUsed = new bool[predicted.Count];
        var matched = 0;
        foreach (var (_, t, p) in pairs.OrderByDescending(pair => pair.Iou).ThenBy(pair => pair.Truth).ThenBy(pair => pair.Predicted))
        {
            if (!truthUsed[t] && !predictedUsed[p])
            {
                (truthUsed[t], predictedUsed[p]) = (true, true);
                matched++;
            }
        }

        TruePositives += matched;
        Predictions += predicted.Count;
        Truths += truth.Count;
        return matched;
    }

    public double Precision => Predictions == 0 ? double.NaN : (double)TruePositives / Predictions;

    public double Recall => Truths == 0 ? double.NaN : (double)TruePositives / Truths;

    public double F1 => Predictions + Truths == 0 ? double.NaN : 2.0 * TruePositives / (Predictions + Truths);
}
