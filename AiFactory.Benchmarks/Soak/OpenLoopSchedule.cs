namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// Arrivals at a fixed rate, whatever the server does: arrival <c>n</c> is due <c>n / rate</c> seconds after the
/// start and is started then without waiting for any earlier one to finish. A closed loop (each caller waiting for
/// its answer before sending again) slows down with a slow server and hides it; an open loop keeps sending, so a
/// slow server shows as growing latency and errors. Latency is measured from each arrival's due time, so a client
/// that falls behind its own schedule shows too instead of being left out.
/// </summary>
public sealed class OpenLoopSchedule
{
    private readonly double _ratePerSecond;
    private readonly TimeProvider _time;

    public OpenLoopSchedule(double ratePerSecond, TimeProvider time)
    {
        if (!(ratePerSecond > 0) || double.IsInfinity(ratePerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "the arrival rate must be a positive number of requests per second");
        }

        _ratePerSecond = ratePerSecond;
        _time = time;
    }

    /// <summary>When arrival <paramref name="n"/> (0-based) is due, after the start.</summary>
    public TimeSpan DueAt(long n) => TimeSpan.FromTicks((long)Math.Round(n * TimeSpan.TicksPerSecond / _ratePerSecond));

    /// <summary>How many arrivals fall within <paramref name="duration"/> (those due before it ends).</summary>
    public long ArrivalsWithin(TimeSpan duration) => (long)Math.Ceiling(duration.Ticks * _ratePerSecond / TimeSpan.TicksPerSecond);

    /// <summary>
    /// Calls <paramref name="arrive"/> for each arrival due within <paramref name="duration"/> of
    /// <paramref name="started"/> (a timestamp of this schedule's time provider), at its due time (at once for any
    /// already overdue), with its index and due time; returns the number of arrivals. <paramref name="arrive"/> must
    /// start its work and return: the schedule never waits for it.
    /// </summary>
    public async Task<long> RunAsync(long started, TimeSpan duration, Action<long, TimeSpan> arrive, CancellationToken cancellationToken = default)
    {
        var arrivals = ArrivalsWithin(duration);
        for (long n = 0; n < arrivals; n++)
        {
            var due = DueAt(n);
            var wait = due - _time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                // Not back on the caller's context: the next arrival is started from the timer's own thread.
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }

            arrive(n, due);
        }

        return arrivals;
    }
}
