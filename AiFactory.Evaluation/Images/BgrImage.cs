using SkiaSharp;

namespace AiFactory.Evaluation.Images;

/// <summary>
/// An 8-bit colour image in OpenCV's layout: rows of pixels, three bytes each in blue, green, red order. PaddleOCR's
/// preprocessing starts from this form (<c>cv2.imread</c>), so the evaluation set keeps it to the byte.
/// </summary>
public sealed class BgrImage
{
    public BgrImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != checked(width * height * 3))
        {
            throw new ArgumentException($"a {width}x{height} image has {width * height * 3} bytes, not {pixels.Length}", nameof(pixels));
        }

        (Width, Height, Pixels) = (width, height, pixels);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major, <c>(y * Width + x) * 3 + channel</c>, channel 0 blue, 1 green, 2 red.</summary>
    public byte[] Pixels { get; }

    /// <summary>The image turned upside down, as a text line is that the direction classifier must catch.</summary>
    public BgrImage Rotate180()
    {
        var rotated = new byte[Pixels.Length];
        var last = Width * Height - 1;
        for (var i = 0; i <= last; i++)
        {
            Pixels.AsSpan(i * 3, 3).CopyTo(rotated.AsSpan((last - i) * 3, 3));
        }

        return new BgrImage(Width, Height, rotated);
    }

    /// <summary>The pixels of a Skia bitmap (any colour type Skia can convert to BGRA), alpha dropped.</summary>
    public static BgrImage FromBitmap(SKBitmap bitmap)
    {
        using var bgra = bitmap.ColorType == SKColorType.Bgra8888 ? null : bitmap.Copy(SKColorType.Bgra8888);
        var source = (bgra ?? bitmap).GetPixelSpan();
        var pixels = new byte[bitmap.Width * bitmap.Height * 3];
        for (int from = 0, to = 0; to < pixels.Length; from += 4, to += 3)
        {
            pixels[to] = source[from];
            pixels[to + 1] = source[from + 1];
            pixels[to + 2] = source[from + 2];
        }

        return new BgrImage(bitmap.Width, bitmap.Height, pixels);
    }

    /// <summary>A PNG of the image, to look at what the set holds.</summary>
    public byte[] ToPng()
    {
        using var bitmap = new SKBitmap(Width, Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        var target = bitmap.GetPixelSpan();
        for (int from = 0, to = 0; from < Pixels.Length; from += 3, to += 4)
        {
            target[to] = Pixels[from];
            target[to + 1] = Pixels[from + 1];
            target[to + 2] = Pixels[from + 2];
            target[to + 3] = 255;
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
