namespace AiFactory.Gateway.Overview;

/// <summary>
/// Request durations of one sample window in exponential buckets (each 10 % wider than the last, 0.1 ms to about
/// 2 min), so memory stays fixed whatever the traffic and a percentile is read within 5 % of the true value.
/// Not thread-safe: <see cref="TrafficWindow"/> guards it.
/// </summary>
public sealed class LatencyHistogram
{
    private const double Smallest = 0.0001;
    private const double Growth = 1.1;
    private static readonly double LogGrowth = Math.Log(Growth);
    private static readonly int BucketCount = (int)Math.Ceiling(Math.Log(120 / Smallest) / LogGrowth) + 1;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public void Record(double seconds)
    {
        _counts[BucketOf(seconds)]++;
        Count++;
    }

    /// <summary>The duration (seconds) below which <paramref name="quantile"/> of the recorded ones fall; null when none was recorded.</summary>
    public double? Percentile(double quantile)
    {
        if (Count == 0)
        {
            return null;
        }

        // The rank of the wanted value, then the bucket that holds it; within the bucket, linear interpolation.
        var rank = quantile * Count;
        long below = 0;
        for (var bucket = 0; bucket < _counts.Length; bucket++)
        {
            if (_counts[bucket] == 0 || below + _counts[bucket] < rank)
            {
                below += _counts[bucket];
                continue;
            }

            var (lower, upper) = Bounds(bucket);
            return lower + (upper - lower) * Math.Clamp((rank - below) / _counts[bucket], 0, 1);
        }

        return Bounds(_counts.Length - 1).Upper;
    }

    private static int BucketOf(double seconds) =>
        seconds <= Smallest ? 0 : Math.Min(BucketCount - 1, (int)Math.Ceiling(Math.Log(seconds / Smallest) / LogGrowth));

    private static (double Lower, double Upper) Bounds(int bucket) =>
        bucket == 0 ? (0, Smallest) : (Smallest * Math.Pow(Growth, bucket - 1), Smallest * Math.Pow(Growth, bucket));
}
