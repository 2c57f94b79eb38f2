extern alias benchmarks;

using Microsoft.Extensions.Time.Testing;
using OpenLoopSchedule = benchmarks::AiFactory.Benchmarks.Soak.OpenLoopSchedule;

namespace AiFactory.Tests.Benchmarks.Soak;

/// <summary>
/// The soak's open-loop arrivals on a fake clock: each arrival is due at n / rate after the start, is started at its
/// due time (at once when overdue) and is never held back by the calls before it.
/// </summary>
public sealed class OpenLoopScheduleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly FakeTimeProvider _time = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly List<(long N, TimeSpan Due, TimeSpan StartedAt)> _arrivals = [];

    [Fact]
    public async Task Each_arrival_starts_at_its_due_time_n_over_the_rate()
    {
        var started = _time.GetTimestamp();
        var run = new OpenLoopSchedule(4, _time).RunAsync(started, TimeSpan.FromSeconds(2), Arrive(started));

        await ArrivedAsync(1); // arrival 0 is due at the start
        for (var n = 1; n < 8; n++)
        {
            _time.Advance(Interval);
            await ArrivedAsync(n + 1);
        }

        Assert.Equal(8, await run.WaitAsync(Timeout));
        Assert.Equal(Enumerable.Range(0, 8).Select(n => ((long)n, Interval * n, Interval * n)), Snapshot());
    }

    [Fact]
    public async Task A_schedule_that_fell_behind_starts_the_overdue_arrivals_at_once_each_with_its_own_due_time()
    {
        var started = _time.GetTimestamp();
        var run = new OpenLoopSchedule(4, _time).RunAsync(started, TimeSpan.FromSeconds(2), Arrive(started));
        await ArrivedAsync(1);

        // The client was held up for a second: the four arrivals due meanwhile go out at once, none is skipped.
        _time.Advance(TimeSpan.FromSeconds(1));
        await ArrivedAsync(5);

        Assert.Equal([Interval, Interval * 2, Interval * 3, Interval * 4], Snapshot().Skip(1).Select(arrival => arrival.Due));
        Assert.All(Snapshot().Skip(1), arrival => Assert.Equal(TimeSpan.FromSeconds(1), arrival.StartedAt));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(8, await run.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Calls_that_never_end_do_not_hold_back_later_arrivals()
    {
        var started = _time.GetTimestamp();
        var hanging = new List<Task>();
        var run = new OpenLoopSchedule(4, _time).RunAsync(started, TimeSpan.FromSeconds(1), (n, due) =>
        {
            hanging.Add(new TaskCompletionSource().Task); // an answer that never comes
            Arrive(started)(n, due);
        });

        for (var n = 1; n <= 4; n++)
        {
            await ArrivedAsync(n);
            _time.Advance(Interval);
        }

        Assert.Equal(4, await run.WaitAsync(Timeout));
        Assert.All(hanging, call => Assert.False(call.IsCompleted));
    }

    [Theory]
    [InlineData(4, 2000, 8)]    // due at 0, 0.25 … 1.75 s
    [InlineData(0.5, 3000, 2)]  // due at 0 and 2 s; 4 s is past the end
    [InlineData(3, 1000, 3)]
    public void The_arrivals_are_those_due_before_the_end(double rate, int milliseconds, long arrivals) =>
        Assert.Equal(arrivals, new OpenLoopSchedule(rate, _time).ArrivalsWithin(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_rate_that_is_not_a_positive_number_is_refused(double rate)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new OpenLoopSchedule(rate, _time));
        Assert.StartsWith("the arrival rate must be a positive number of requests per second", error.Message);
    }

    private Action<long, TimeSpan> Arrive(long started) => (n, due) =>
    {
        lock (_arrivals)
        {
            _arrivals.Add((n, due, _time.GetElapsedTime(started)));
        }

        _arrived.Release();
    };

    private async Task ArrivedAsync(int count)
    {
        while (Snapshot().Count < count)
        {
            Assert.True(await _arrived.WaitAsync(Timeout), $"only {Snapshot().Count} of {count} arrivals started");
        }
    }

    private List<(long N, TimeSpan Due, TimeSpan StartedAt)> Snapshot()
    {
        lock (_arrivals)
        {
            return [.. _arrivals];
        }
    }
}
