using AiFactory.Evaluation.Images;
using SkiaSharp;

namespace AiFactory.Dashboard.TryIt;

/// <summary>An uploaded image, decoded once: its pixels for the OCR preprocessing and a PNG to show under the regions.</summary>
public sealed record PageImage(BgrImage Image, string PngDataUrl)
{
    /// <summary>Decodes <paramref name="bytes"/> (PNG, JPEG, WebP, BMP, GIF: what Skia reads), refusing sides over <paramref name="maxSide"/> before decoding.</summary>
    /// <exception cref="InvalidDataException">Not an image, or larger than allowed.</exception>
    public static PageImage Decode(byte[] bytes, int maxSide)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(bytes)) ?? throw new InvalidDataException("the file is not an image (PNG, JPEG, WebP, BMP or GIF)");
        var info = codec.Info;
        if (info.Width > maxSide || info.Height > maxSide)
        {
            throw new InvalidDataException($"the image is {info.Width}×{info.Height}; the page takes at most {maxSide} pixels a side (TryIt:MaxImageSide)");
        }

        using var bitmap = SKBitmap.Decode(codec) ?? throw new InvalidDataException("the image could not be decoded");
        var image = BgrImage.FromBitmap(bitmap);
        return new PageImage(image, $"data:image/png;base64,{Convert.ToBase64String(image.ToPng())}");
    }
}
