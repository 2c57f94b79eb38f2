using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Running;

namespace AiFactory.Evaluation.Ocr;

/// <summary>
/// Text boxes from the detector's probability map, after PaddleOCR's <c>DBPostProcess</c>
/// (<c>ppocr/postprocess/db_postprocess.py</c>) with its inference defaults (<c>det_db_thresh</c> 0.3,
/// <c>det_db_box_thresh</c> 0.6, <c>det_db_unclip_ratio</c> 1.5, <c>det_db_score_mode</c> "fast", 1000 candidates,
/// boxes under 3 pixels dropped). One documented simplification: PaddleOCR takes each region's minimum-area rotated
/// rectangle (<c>cv2.findContours</c>, <c>cv2.minAreaRect</c>) and grows it with a polygon offset
/// (<c>pyclipper</c>); this takes each 8-connected region's axis-aligned bounding rectangle and grows it by the same
/// distance, area · ratio / perimeter, on every side. For horizontal text, the only kind the evaluation set holds,
/// the two give the same rectangle; rotated text would get a larger box here.
/// </summary>
public static class DbBoxExtractor
{
    public const float Threshold = 0.3f;
    public const float BoxThreshold = 0.6f;
    public const float UnclipRatio = 1.5f;
    public const int MaxCandidates = 1000;
    private const int MinSize = 3;

    /// <summary>The boxes of a [1, 1, H, W] map, in the coordinates of a page of the size given.</summary>
    public static List<Box> Extract(FloatTensor map, int pageWidth, int pageHeight)
    {
        if (map.Shape is not [1, 1, var height, var width])
        {
            throw new ArgumentException($"a detector's map is [1, 1, H, W], not [{string.Join(", ", map.Shape)}]", nameof(map));
        }

        var boxes = new List<Box>();
        foreach (var region in Regions(map.Data, width, height).Take(MaxCandidates))
        {
            var (left, top, right, bottom) = region;
            // Pixel indices, as contour points are: a region one pixel wide has width 0, like minAreaRect's.
            if (Math.Min(right - left, bottom - top) < MinSize || MeanScore(map.Data, width, region) < BoxThreshold)
            {
                continue;
            }

            var (w, h) = ((float)(right - left), (float)(bottom - top));
            var distance = w * h * UnclipRatio / (2 * (w + h));
            var grown = new Box(left - distance, top - distance, right + distance, bottom + distance);
            if (Math.Min(grown.Width, grown.Height) < MinSize + 2)
            {
                continue;
            }

            boxes.Add(new Box(
                Scale(grown.Left, width, pageWidth), Scale(grown.Top, height, pageHeight),
                Scale(grown.Right, width, pageWidth), Scale(grown.Bottom, height, pageHeight)));
        }

        return boxes;
    }

    // np.clip(np.round(x / width * dest_width), 0, dest_width)
    private static float Scale(float value, int mapSize, int pageSize) =>
        (float)Math.Clamp(Math.Round(value / mapSize * pageSize, MidpointRounding.ToEven), 0, pageSize);

    /// <summary>"fast" scoring: the mean probability inside the box, edges included.</summary>
    private static double MeanScore(float[] map, int width, (int Left, int Top, int Right, int Bottom) box)
    {
        double sum = 0;
        for (var y = box.Top; y <= box.Bottom; y++)
        {
            for (var x = box.Left; x <= box.Right; x++)
            {
                sum += map[y * width + x];
            }
        }

        return sum / ((box.Right - box.Left + 1) * (box.Bottom - box.Top + 1));
    }

    /// <summary>The bounding rectangle (inclusive pixel indices) of each 8-connected region above <see cref="Threshold"/>, in scan order.</summary>
    private static IEnumerable<(int Left, int Top, int Right, int Bottom)> Regions(float[] map, int width, int height)
    {
        var seen = new bool[map.Length];
        var stack = new Stack<int>();
        for (var start = 0; start < map.Length; start++)
        {
            if (seen[start] || map[start] <= Threshold)
            {
                continue;
            }

            var (left, top, right, bottom) = (width, height, -1, -1);
            seen[start] = true;
            stack.Push(start);
            while (stack.TryPop(out var pixel))
            {
                var (x, y) = (pixel % width, pixel / width);
                (left, top, right, bottom) = (Math.Min(left, x), Math.Min(top, y), Math.Max(right, x), Math.Max(bottom, y));
                for (var dy = -1; dy <= 1; dy++)
                {
                    for (var dx = -1; dx <= 1; dx++)
                    {
                        var (nx, ny) = (x + dx, y + dy);
                        if (nx >= 0 && nx < width && ny >= 0 && ny < height && !seen[ny * width + nx] && map[ny * width + nx] > Threshold)
                        {
                            seen[ny * width + nx] = true;
                            stack.Push(ny * width + nx);
                        }
                    }
                }
            }

            yield return (left, top, right, bottom);
        }
    }
}
