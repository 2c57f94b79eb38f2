using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Running;

namespace AiFactory.Evaluation.Ocr;

/// <summary>Runs the detector on each page (batch 1, as PaddleOCR does) and scores its boxes against the lines' ink boxes at IoU 0.5.</summary>
public static class DetectionEvaluation
{
    public static DetectionScore Evaluate(ModelRun run, OcrEvaluationSet set)
    {
        var score = new DetectionScore();
        foreach (var page in set.Pages)
        {
            var input = DetectionInput.Create(page.Image);
            var boxes = DbBoxExtractor.Extract(run(input.Tensor), input.PageWidth, input.PageHeight);
            score.Add([.. page.Lines.Select(line => line.Box)], boxes);
        }

        return score;
    }

    /// <summary>The detector's inputs for the set, one page each: the calibration data of a quantization.</summary>
    public static IEnumerable<FloatTensor> Inputs(OcrEvaluationSet set) => set.Pages.Select(page => DetectionInput.Create(page.Image).Tensor);
}
