namespace AiFactory.Evaluation.Metrics;

/// <summary>An axis-aligned box in pixels: left and top inclusive edges, right and bottom exclusive.</summary>
public readonly record struct Box(float Left, float Top, float Right, float Bottom)
{
    public float Width => Math.Max(0, Right - Left);

    public float Height => Math.Max(0, Bottom - Top);

    public float Area => Width * Height;

    /// <summary>Intersection over union: 1 for the same box, 0 for boxes that do not overlap.</summary>
    public double IntersectionOverUnion(Box other)
    {
        double intersection = new Box(Math.Max(Left, other.Left), Math.Max(Top, other.Top), Math.Min(Right, other.Right), Math.Min(Bottom, other.Bottom)).Area;
        var union = (double)Area + other.Area - intersection;
        return union > 0 ? intersection / union : 0;
    }

    /// <summary>The box grown by <paramref name="margin"/> on every side.</summary>
    public Box Inflate(float margin) => new(Left - margin, Top - margin, Right + margin, Bottom + margin);

    public bool Overlaps(Box other) => Left < other.Right && other.Left < Right && Top < other.Bottom && other.Top < Bottom;

    public override string ToString() => $"[{Left:0.#},{Top:0.#} {Right:0.#},{Bottom:0.#}]";
}
