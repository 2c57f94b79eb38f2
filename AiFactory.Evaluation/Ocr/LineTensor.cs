using AiFactory.Evaluation.Images;
using AiFactory.Evaluation.Running;

namespace AiFactory.Evaluation.Ocr;

/// <summary>
/// Text-line images to the [N, 3, 48, W] input of the direction classifier (W = 192) and the recognizer (W = 320),
/// as PaddleOCR prepares them: <c>resize_norm_img</c> in <c>tools/infer/predict_cls.py</c> and
/// <c>tools/infer/predict_rec.py</c> (<c>cls_image_shape</c> "3, 48, 192", <c>rec_image_shape</c> "3, 48, 320",
/// PaddleOCR's inference arguments, docs "inference_args"). Each line is resized to height 48 with its aspect ratio
/// kept (width ⌈48 · w / h⌉, squeezed to W when wider), scaled to [-1, 1] as (x / 255 − 0.5) / 0.5 in the image's
/// BGR channel order, and padded on the right with zeros up to W.
/// </summary>
/// <remarks>
/// The recognizer's script widens W to the widest line of a batch; the served model has W fixed at 320
/// (<c>models/text-recognition/config.json</c>), which is the script's own width for every line up to 320/48 wide,
/// and the evaluation set's lines are made to fit it.
/// </remarks>
public static class LineTensor
{
    public const int Height = 48;
    public const int DirectionWidth = 192;
    public const int RecognitionWidth = 320;

    public static FloatTensor Create(IReadOnlyList<BgrImage> lines, int width)
    {
        var plane = Height * width;
        var data = new float[lines.Count * 3 * plane];
        for (var n = 0; n < lines.Count; n++)
        {
            var resized = LinearResize.Resize(lines[n], ResizedWidth(lines[n], width), Height);
            var pixels = resized.Pixels;
            var offset = n * 3 * plane;
            for (var y = 0; y < Height; y++)
            {
                for (var x = 0; x < resized.Width; x++)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        data[offset + c * plane + y * width + x] = (pixels[(y * resized.Width + x) * 3 + c] / 255f - 0.5f) / 0.5f;
                    }
                }
            }
        }

        return new FloatTensor(data, [lines.Count, 3, Height, width]);
    }

    /// <summary>⌈48 · w / h⌉, at most <paramref name="width"/>.</summary>
    public static int ResizedWidth(BgrImage line, int width) =>
        (int)Math.Min(width, Math.Ceiling(Height * (double)line.Width / line.Height));
}
