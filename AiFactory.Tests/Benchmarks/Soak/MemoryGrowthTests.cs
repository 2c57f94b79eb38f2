extern alias benchmarks;

using benchmarks::AiFactory.Benchmarks;
using benchmarks::AiFactory.Benchmarks.Soak;

namespace AiFactory.Tests.Benchmarks.Soak;

/// <summary>
/// The soak's memory goal: growth after the warm-up of at most 10 %, judged on RSS for one process and on PSS for a
/// group of processes (PostgreSQL), whose shared memory RSS counts once per process.
/// </summary>
public sealed class MemoryGrowthTests
{
    private const long Megabyte = 1024 * 1024;

    [Theory]
    [InlineData(100, 110, 10.0, true)]   // the limit itself
    [InlineData(100, 111, 11.0, false)]
    [InlineData(200, 150, -25.0, true)]  // shrinking is no growth
    public void A_single_process_is_judged_by_its_resident_set(long startMb, long endMb, double growth, bool met)
    {
        var result = new MemoryGrowth("gateway", One(startMb), One(endMb), PeakBytes: endMb * Megabyte);

        Assert.False(result.ByPss);
        Assert.Equal(growth, result.GrowthPercent!.Value, precision: 6);
        Assert.Equal(met, result.Met);
    }

    [Fact]
    public void A_group_of_processes_is_judged_by_its_proportional_set_so_a_new_backend_is_not_counted_as_everyone_s_shared_memory()
    {
        // A new backend maps the same shared buffers: RSS summed over processes jumps, PSS barely moves.
        var start = new MemoryReading(Processes: 10, RssBytes: 400 * Megabyte, PssBytes: 60 * Megabyte);
        var end = new MemoryReading(Processes: 11, RssBytes: 440 * Megabyte, PssBytes: 62 * Megabyte);

        var result = new MemoryGrowth("postgres", start, end, PeakBytes: 440 * Megabyte);

        Assert.True(result.ByPss);
        Assert.Equal((60 * Megabyte, 62 * Megabyte), (result.StartBytes, result.EndBytes));
        Assert.True(result.Met, $"{result.GrowthPercent} %");
    }

    [Fact]
    public void A_process_gone_by_the_end_is_not_met_and_has_no_growth_figure()
    {
        var result = new MemoryGrowth("inference-1", One(300), default, PeakBytes: 300 * Megabyte);

        Assert.Null(result.GrowthPercent);
        Assert.False(result.Met);
    }

    [Fact]
    public void A_process_never_read_after_the_warm_up_is_not_met()
    {
        var result = new MemoryGrowth("inference-2", default, One(300), PeakBytes: 0);

        Assert.Null(result.GrowthPercent);
        Assert.False(result.Met);
    }

    private static MemoryReading One(long megabytes) => new(Processes: 1, RssBytes: megabytes * Megabyte, PssBytes: megabytes * Megabyte / 2);
}
