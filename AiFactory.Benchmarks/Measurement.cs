using System.Diagnostics;

namespace AiFactory.Benchmarks;

/// <summary>Items per second and latency percentiles of one measured phase.</summary>
public sealed record Measurement(double ItemsPerSecond, double P50Ms, double P95Ms, double P99Ms, long Requests, long Failures, double PeakRssMb = 0, string? FirstError = null)
{
    /// <summary>
    /// Runs <paramref name="callers"/> loops of <paramref name="call"/> (which returns the items it inferred) for
    /// <paramref name="duration"/> after a short warmup, recording each call's latency.
    /// </summary>
    public static async Task<Measurement> RunAsync(int callers, TimeSpan duration, Func<Task<int>> call, Func<double>? peakRss = null)
    {
        await RunCallersAsync(callers, TimeSpan.FromSeconds(Math.Min(1, duration.TotalSeconds / 3)), call, null);
        var latencies = new List<double>[callers];
        var (items, requests, failures, elapsed, error) = await RunCallersAsync(callers, duration, call, latencies);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Measurement(items / elapsed.TotalSeconds, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99),
            requests, failures, peakRss?.Invoke() ?? 0, error);
    }

    /// <summary>
    /// Several rounds of one measurement as one: the median of each rate and percentile, the failures of all rounds,
    /// the highest peak and the first error.
    /// </summary>
    public static Measurement Median(IReadOnlyList<Measurement> runs) => new(
        MedianOf(runs, run => run.ItemsPerSecond), MedianOf(runs, run => run.P50Ms), MedianOf(runs, run => run.P95Ms),
        MedianOf(runs, run => run.P99Ms), runs.Sum(run => run.Requests), runs.Sum(run => run.Failures), runs.Max(run => run.PeakRssMb),
        runs.Select(run => run.FirstError).FirstOrDefault(error => error is not null));

    /// <summary>The middle value (the upper one of an even count).</summary>
    public static double MedianOf<T>(IReadOnlyList<T> runs, Func<T, double> value) => runs.Select(value).Order().ElementAt(runs.Count / 2);

    private static async Task<(long Items, long Requests, long Failures, TimeSpan Elapsed, string? FirstError)> RunCallersAsync(
        int callers, TimeSpan duration, Func<Task<int>> call, List<double>[]? latencies)
    {
        long items = 0, requests = 0, failures = 0;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var own = new List<double>();
            if (latencies is not null)
            {
                latencies[caller] = own;
            }

            while (Stopwatch.GetTimestamp() < end)
            {
                var before = Stopwatch.GetTimestamp();
                try
                {
                    Interlocked.Add(ref items, await call());
                    own.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
                    Interlocked.Increment(ref requests);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
            }
        })));
        return (items, requests, failures, Stopwatch.GetElapsedTime(started), firstError);
    }

    /// <summary>The <paramref name="p"/> quantile (nearest rank) of <paramref name="sorted"/>; NaN when it is empty.</summary>
    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
