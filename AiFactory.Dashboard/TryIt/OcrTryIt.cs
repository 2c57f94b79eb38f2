using AiFactory.Evaluation.Images;
using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;

namespace AiFactory.Dashboard.TryIt;

/// <summary>What an OCR sample model made of an image: the detector's regions, the classifier's orientation, the recognizer's text.</summary>
public sealed record OcrAnswer(IReadOnlyList<Box> Regions, string? Orientation, string? Text);

/// <summary>
/// The OCR sample models on one image, with PaddleOCR's pre- and postprocessing from AiFactory.Evaluation: the detector
/// takes the image as a page; the direction classifier and the recognizer take it as one text line.
/// </summary>
public static class OcrTryIt
{
    public static FloatTensor Input(OcrTask task, BgrImage image) => task switch
    {
        OcrTask.Detection => DetectionInput.Create(image).Tensor,
        OcrTask.Direction => LineTensor.Create([image], LineTensor.DirectionWidth),
        _ => LineTensor.Create([image], LineTensor.RecognitionWidth),
    };

    /// <exception cref="ArgumentException">The output is not the shape the task's postprocessing reads.</exception>
    public static OcrAnswer Interpret(OcrTask task, FloatTensor output, BgrImage image, RecognitionDictionary? dictionary) => task switch
    {
        OcrTask.Detection => new(DbBoxExtractor.Extract(output, image.Width, image.Height), null, null),
        OcrTask.Direction => new([], Orientation(output), null),
        _ => new([], null, dictionary is null ? null : CtcGreedyDecoder.Decode(output, dictionary)[0]),
    };

    // PaddleOCR's label list for the classifier: ["0", "180"].
    private static string Orientation(FloatTensor output)
    {
        if (output.Shape is not [1, 2])
        {
            throw new ArgumentException($"the direction classifier answers [1, 2], not [{string.Join(", ", output.Shape)}]", nameof(output));
        }

        var best = CtcGreedyDecoder.ArgMax(output.Data);
        return $"{(best == 0 ? "upright (0°)" : "upside down (180°)")}, score {output.Data[best]:0.###}";
    }
}
