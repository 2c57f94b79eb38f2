using System.Diagnostics;
using AiFactory.Inference.Batching;

namespace AiFactory.Inference.Analysis;

/// <summary>What one point's load measured: the latencies of the requests that started after the warm-up, sorted.</summary>
public sealed record LoadMeasurement(double[] LatenciesMs, int Failed, double Seconds)
{
    public double ThroughputPerSecond => Seconds > 0 ? LatenciesMs.Length / Seconds : 0;

    /// <summary>Nearest rank on the sorted latencies; 0 when none.</summary>
    public double Percentile(double quantile) =>
        LatenciesMs.Length == 0 ? 0 : LatenciesMs[Math.Clamp((int)Math.Ceiling(quantile * LatenciesMs.Length) - 1, 0, LatenciesMs.Length - 1)];
}

/// <summary>
/// Closed-loop load, as Triton's perf_analyzer makes it: <c>concurrency</c> clients, each sending its next request as
/// soon as its last is answered, through the model's own executor (its batcher, its instances). The first quarter of
/// the time (at most a second) warms the sessions and the batcher and is not counted.
/// </summary>
public static class ClosedLoopLoad
{
    public static async Task<LoadMeasurement> RunAsync(IModelExecutor executor, InferenceWork work, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var warm = TimeSpan.FromTicks(Math.Min(duration.Ticks / 4, TimeSpan.TicksPerSecond));
        var started = Stopwatch.GetTimestamp();
        var counted = started + (long)(warm.TotalSeconds * Stopwatch.Frequency);
        var end = counted + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        // A direct executor runs inside the caller's call: each client on a thread of its own, or they would take turns.
        var clients = Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => ClientAsync(executor, work, counted, end, cancellationToken), cancellationToken)).ToArray();
        var results = await Task.WhenAll(clients);
        var latencies = results.SelectMany(result => result.Latencies).ToArray();
        Array.Sort(latencies);
        var last = results.Max(result => result.LastAnswer);
        return new LoadMeasurement(latencies, results.Sum(result => result.Failed), Math.Max(0, (double)(last - counted) / Stopwatch.Frequency));
    }

    private static async Task<(List<double> Latencies, int Failed, long LastAnswer)> ClientAsync(
        IModelExecutor executor, InferenceWork work, long counted, long end, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        var failed = 0;
        var lastAnswer = counted;
        while (Stopwatch.GetTimestamp() is var sent && sent < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ok = true;
            try
            {
                await executor.ExecuteAsync(work, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Refused (a full queue) or failed: the point failed a request, which disqualifies it.
                ok = false;
            }

            var answered = Stopwatch.GetTimestamp();
            if (sent >= counted)
            {
                lastAnswer = answered;
                if (ok)
                {
                    latencies.Add((double)(answered - sent) * 1000 / Stopwatch.Frequency);
                }
                else
                {
                    failed++;
                }
            }
        }

        return (latencies, failed, lastAnswer);
    }
}
