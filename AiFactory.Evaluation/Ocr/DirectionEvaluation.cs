using AiFactory.Evaluation.Images;
using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Running;

namespace AiFactory.Evaluation.Ocr;

/// <summary>The direction classifier on the set: every line upright (class 0, "0") and turned 180° (class 1, "180").</summary>
/// <param name="Upright">Accuracy on the upright lines.</param>
/// <param name="Rotated">Accuracy on the turned lines.</param>
/// <param name="Overall">Accuracy on both.</param>
public sealed record DirectionReport(ClassificationAccuracy Upright, ClassificationAccuracy Rotated, ClassificationAccuracy Overall);

/// <summary>
/// Runs the direction classifier (PaddleOCR's <c>TextClassifier</c>: <c>label_list</c> ["0", "180"], the class is
/// the argmax of its [N, 2] output; PaddleOCR flips a line only above <c>cls_thresh</c> 0.9, which is a pipeline
/// choice, not the model's answer, so accuracy takes the argmax).
/// </summary>
public static class DirectionEvaluation
{
    public static DirectionReport Evaluate(ModelRun run, OcrEvaluationSet set, int batchSize = 8)
    {
        var report = new DirectionReport(new(), new(), new());
        foreach (var batch in Samples(set).Chunk(batchSize))
        {
            var output = run(LineTensor.Create([.. batch.Select(sample => sample.Image)], LineTensor.DirectionWidth));
            if (output.Shape is not [_, 2] || output.Shape[0] != batch.Length)
            {
                throw new InvalidOperationException($"the classifier answered [{string.Join(", ", output.Shape)}] for {batch.Length} lines; expected [{batch.Length}, 2]");
            }

            for (var i = 0; i < batch.Length; i++)
            {
                var predicted = CtcGreedyDecoder.ArgMax(output.Data.AsSpan(i * 2, 2));
                var expected = batch[i].Rotated ? 1 : 0;
                (batch[i].Rotated ? report.Rotated : report.Upright).Add(expected, predicted);
                report.Overall.Add(expected, predicted);
            }
        }

        return report;
    }

    /// <summary>The classifier's inputs for the set, in batches: the calibration data of a quantization.</summary>
    public static IEnumerable<FloatTensor> Inputs(OcrEvaluationSet set, int batchSize = 8) =>
        Samples(set).Chunk(batchSize).Select(batch => LineTensor.Create([.. batch.Select(sample => sample.Image)], LineTensor.DirectionWidth));

    private static IEnumerable<(BgrImage Image, bool Rotated)> Samples(OcrEvaluationSet set) =>
        set.Lines.SelectMany(line => new[] { (line.Image, false), (line.Image.Rotate180(), true) });
}
