using AiFactory.Evaluation.Images;
using AiFactory.Evaluation.Running;

namespace AiFactory.Evaluation.Ocr;

/// <summary>
/// A page prepared for the PP-OCRv4 detector as PaddleOCR does it (<c>tools/infer/predict_det.py</c> with
/// <c>ppocr/data/imaug/operators.py</c>): <c>DetResizeForTest</c> (<c>det_limit_type</c> "max",
/// <c>det_limit_side_len</c> 960: a page whose longer side exceeds 960 is scaled down to it, then each side is rounded
/// to a multiple of 32, at least 32), <c>NormalizeImage</c> ((x / 255 − mean) / std with ImageNet's mean 0.485,
/// 0.456, 0.406 and std 0.229, 0.224, 0.225, applied in that order to the image's B, G, R channels, as PaddleOCR
/// does to its BGR images), then <c>ToCHWImage</c>: [1, 3, H, W].
/// </summary>
/// <param name="Tensor">The detector's input.</param>
/// <param name="PageWidth">The page's width, to scale boxes back.</param>
/// <param name="PageHeight">The page's height.</param>
public sealed record DetectionInput(FloatTensor Tensor, int PageWidth, int PageHeight)
{
    public const int DefaultLimitSideLength = 960;

    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    public static DetectionInput Create(BgrImage page, int limitSideLength = DefaultLimitSideLength)
    {
        var ratio = Math.Max(page.Width, page.Height) > limitSideLength ? (double)limitSideLength / Math.Max(page.Width, page.Height) : 1.0;
        var resized = LinearResize.Resize(page, MultipleOf32(page.Width * ratio), MultipleOf32(page.Height * ratio));
        var plane = resized.Width * resized.Height;
        var data = new float[3 * plane];
        var pixels = resized.Pixels;
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                data[c * plane + i] = (pixels[i * 3 + c] / 255f - Mean[c]) / Std[c];
            }
        }

        return new DetectionInput(new FloatTensor(data, [1, 3, resized.Height, resized.Width]), page.Width, page.Height);
    }

    // int() then round(/32)*32, at least 32, as DetResizeForTest's resize_image_type0.
    private static int MultipleOf32(double side) => Math.Max((int)Math.Round((int)side / 32.0, MidpointRounding.ToEven) * 32, 32);
}
