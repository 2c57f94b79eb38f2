extern alias benchmarks;

using benchmarks::AiFactory.Benchmarks;
using benchmarks::AiFactory.Benchmarks.Soak;

namespace AiFactory.Tests.Benchmarks.Soak;

/// <summary>
/// The capacity the soak's load is a share of: concurrency doubles until throughput falls past the knee, and
/// capacity is the best step's throughput, never the last one's. Steps are given, not timed.
/// </summary>
public sealed class CapacityRampTests
{
    [Fact]
    public async Task The_ramp_stops_past_the_knee_and_capacity_is_the_best_step_not_the_last()
    {
        var throughput = new Dictionary<int, double> { [1] = 40, [2] = 75, [4] = 120, [8] = 100, [16] = 130 };
        var measured = new List<int>();

        var (capacity, steps) = await CapacityRamp.RampAsync(concurrency =>
        {
            measured.Add(concurrency);
            return Task.FromResult(Step(throughput[concurrency]));
        });

        // 100 is below 90 % of 120: concurrency 16 is never tried.
        Assert.Equal([1, 2, 4, 8], measured);
        Assert.Equal([1, 2, 4, 8], steps.Select(step => step.Concurrency));
        Assert.Equal(120, capacity);
    }

    [Fact]
    public async Task A_plateau_within_the_knee_s_margin_goes_on_to_the_next_concurrency()
    {
        // 110 is within 10 % of 120: not yet past the knee, so the ramp tries more and finds 125.
        var throughput = new Dictionary<int, double> { [1] = 40, [2] = 75, [4] = 120, [8] = 110, [16] = 125, [32] = 90 };

        var (capacity, steps) = await CapacityRamp.RampAsync(concurrency => Task.FromResult(Step(throughput[concurrency])));

        Assert.Equal(CapacityRamp.Concurrencies, steps.Select(step => step.Concurrency));
        Assert.Equal(125, capacity);
    }

    [Fact]
    public async Task Throughput_that_keeps_rising_is_measured_up_to_the_last_concurrency()
    {
        var (capacity, steps) = await CapacityRamp.RampAsync(concurrency => Task.FromResult(Step(10.0 * concurrency)));

        Assert.Equal(CapacityRamp.Concurrencies, steps.Select(step => step.Concurrency));
        Assert.Equal(10.0 * CapacityRamp.Concurrencies[^1], capacity);
    }

    private static Measurement Step(double requestsPerSecond) =>
        new(requestsPerSecond, P50Ms: 5, P95Ms: 8, P99Ms: 12, Requests: (long)(requestsPerSecond * 10), Failures: 0);
}
