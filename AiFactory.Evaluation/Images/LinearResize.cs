namespace AiFactory.Evaluation.Images;

/// <summary>
/// Bilinear resizing as <c>cv2.resize</c> with its default <c>INTER_LINEAR</c> does it, which is what PaddleOCR calls:
/// pixel centres aligned (source x = (x + 0.5) · scale − 0.5, clamped at the borders), no area averaging when
/// shrinking, results rounded back to bytes. OpenCV computes in fixed point; this computes in floating point, so a
/// pixel may differ from OpenCV's by one level.
/// </summary>
public static class LinearResize
{
    public static BgrImage Resize(BgrImage source, int width, int height)
    {
        if (width == source.Width && height == source.Height)
        {
            return source;
        }

        var columns = Taps(source.Width, width);
        var rows = Taps(source.Height, height);
        var pixels = new byte[width * height * 3];
        var input = source.Pixels;
        var stride = source.Width * 3;
        for (var y = 0; y < height; y++)
        {
            var (y0, y1, wy) = rows[y];
            for (var x = 0; x < width; x++)
            {
                var (x0, x1, wx) = columns[x];
                for (var c = 0; c < 3; c++)
                {
                    var top = input[y0 * stride + x0 * 3 + c] * (1 - wx) + input[y0 * stride + x1 * 3 + c] * wx;
                    var bottom = input[y1 * stride + x0 * 3 + c] * (1 - wx) + input[y1 * stride + x1 * 3 + c] * wx;
                    pixels[(y * width + x) * 3 + c] = (byte)Math.Clamp(Math.Round(top * (1 - wy) + bottom * wy), 0, 255);
                }
            }
        }

        return new BgrImage(width, height, pixels);
    }

    /// <summary>For each target index, the two source indices it reads and the weight of the second.</summary>
    private static (int Low, int High, float Weight)[] Taps(int sourceSize, int targetSize)
    {
        var scale = (double)sourceSize / targetSize;
        var taps = new (int, int, float)[targetSize];
        for (var i = 0; i < targetSize; i++)
        {
            var position = (i + 0.5) * scale - 0.5;
            var low = (int)Math.Floor(position);
            var weight = (float)(position - low);
            if (low < 0)
            {
                (low, weight) = (0, 0);
            }

            if (low >= sourceSize - 1)
            {
                (low, weight) = (sourceSize - 1, 0);
            }

            taps[i] = (low, Math.Min(low + 1, sourceSize - 1), weight);
        }

        return taps;
    }
}
