using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Running;
using AiFactory.Evaluation.Text;

namespace AiFactory.Evaluation.Ocr;

/// <summary>The recognizer on the set's lines: over all of them and per script, with the first mistakes to look at.</summary>
public sealed record RecognitionReport(
    CharacterAccuracy Overall,
    IReadOnlyDictionary<OcrScript, CharacterAccuracy> ByScript,
    IReadOnlyList<(string Reference, string Prediction)> Mistakes);

/// <summary>
/// Runs the recognizer and decodes greedily (<see cref="CtcGreedyDecoder"/>). Before scoring, spaces are removed from
/// reference and prediction alike, as PaddleOCR's <c>RecMetric</c> does by default (<c>ignore_space</c>): the width
/// of a gap between words is the font's choice, not something the recognizer can get wrong.
/// </summary>
public static class RecognitionEvaluation
{
    private const int MistakesKept = 10;

    public static RecognitionReport Evaluate(ModelRun run, OcrEvaluationSet set, RecognitionDictionary dictionary, int batchSize = 8)
    {
        var overall = new CharacterAccuracy();
        var byScript = new Dictionary<OcrScript, CharacterAccuracy>();
        var mistakes = new List<(string, string)>();
        foreach (var batch in set.Lines.Chunk(batchSize))
        {
            var predictions = CtcGreedyDecoder.Decode(run(LineTensor.Create([.. batch.Select(line => line.Image)], LineTensor.RecognitionWidth)), dictionary);
            if (predictions.Length != batch.Length)
            {
                throw new InvalidOperationException($"the recognizer answered {predictions.Length} lines for {batch.Length}");
            }

            for (var i = 0; i < batch.Length; i++)
            {
                var (reference, prediction) = (WithoutSpaces(batch[i].Text), WithoutSpaces(predictions[i]));
                overall.Add(reference, prediction);
                if (!byScript.TryGetValue(batch[i].Font.Script, out var script))
                {
                    byScript[batch[i].Font.Script] = script = new CharacterAccuracy();
                }

                script.Add(reference, prediction);
                if (reference != prediction && mistakes.Count < MistakesKept)
                {
                    mistakes.Add((batch[i].Text, predictions[i]));
                }
            }
        }

        return new RecognitionReport(overall, byScript, mistakes);
    }

    /// <summary>The recognizer's inputs for the set, in batches: the calibration data of a quantization.</summary>
    public static IEnumerable<FloatTensor> Inputs(OcrEvaluationSet set, int batchSize = 8) =>
        set.Lines.Chunk(batchSize).Select(batch => LineTensor.Create([.. batch.Select(line => line.Image)], LineTensor.RecognitionWidth));

    public static string WithoutSpaces(string text) => text.Replace(" ", "", StringComparison.Ordinal);
}
