namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// The capacity the soak's load is a share of: the valid mix (without the rate-limited key, whose refusals would
/// count as fast answers) sent closed-loop at increasing concurrency; capacity is the best throughput reached.
/// </summary>
public static class CapacityRamp
{
    public static readonly int[] Concurrencies = [1, 2, 4, 8, 16, 32];

    /// <summary>A step this far below the best so far is past the knee: the ramp stops there.</summary>
    public const double PastTheKnee = 0.9;

    public sealed record Step(int Concurrency, Measurement Result);

    public static Task<(double Capacity, IReadOnlyList<Step> Steps)> RunAsync(SoakClient client, SoakMix mix, TimeSpan stepDuration)
    {
        var valid = mix.ValidOnly(request => request.Key != KeyRole.RateLimited);
        long arrivals = 0;
        return RampAsync(async concurrency =>
        {
            var measured = await Measurement.RunAsync(concurrency, stepDuration, async () =>
            {
                var n = Interlocked.Increment(ref arrivals);
                var request = valid.Pick(n);
                var answer = await request.SendAsync(client, n, CancellationToken.None);
                return request.IsError(answer) ? throw new InvalidOperationException($"{request.Name}: {answer.Outcome}") : 1;
            });
            Console.WriteLine($"capacity, concurrency {concurrency}: {measured.ItemsPerSecond:F1} requests/s, p50 {measured.P50Ms:F1} ms, p99 {measured.P99Ms:F1} ms, failures {measured.Failures} {measured.FirstError}");
            return measured;
        });
    }

    /// <summary>
    /// Measures each of <see cref="Concurrencies"/> in turn with <paramref name="measure"/> until a step falls past
    /// the knee (below <see cref="PastTheKnee"/> of the best so far); capacity is the best step's throughput, not
    /// the last one's, since past the knee throughput falls. A step's throughput counts its successful requests only.
    /// </summary>
    public static async Task<(double Capacity, IReadOnlyList<Step> Steps)> RampAsync(Func<int, Task<Measurement>> measure)
    {
        var steps = new List<Step>();
        foreach (var concurrency in Concurrencies)
        {
            steps.Add(new Step(concurrency, await measure(concurrency)));
            if (steps[^1].Result.ItemsPerSecond < PastTheKnee * steps.Max(step => step.Result.ItemsPerSecond))
            {
                break;
            }
        }

        return (steps.Max(step => step.Result.ItemsPerSecond), steps);
    }
}
