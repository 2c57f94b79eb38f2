namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// How much a process (or a group of processes) grew between two readings: after the warm-up and at the end of the
/// run. A single process is judged by its resident set (RSS); a group of several (PostgreSQL's postmaster and
/// backends) by its proportional set (PSS), since RSS would count the memory they share once per process, and a new
/// backend would look like growth of everyone's shared buffers.
/// </summary>
public sealed record MemoryGrowth(string Name, MemoryReading Start, MemoryReading End, long PeakBytes)
{
    /// <summary>The goal: growth after the warm-up of at most this much.</summary>
    public const double LimitPercent = 10;

    /// <summary>Judged by PSS: the group had more than one process at either reading.</summary>
    public bool ByPss => Start.Processes > 1 || End.Processes > 1;

    public long StartBytes => ByPss ? Start.PssBytes : Start.RssBytes;

    public long EndBytes => ByPss ? End.PssBytes : End.RssBytes;

    /// <summary>Growth in percent of the start; null when there is nothing to compare (no process at either reading).</summary>
    public double? GrowthPercent => Start.Processes == 0 || End.Processes == 0 || StartBytes == 0
        ? null
        : 100.0 * (EndBytes - StartBytes) / StartBytes;

    /// <summary>Met: the process was there at both readings and grew by at most <see cref="LimitPercent"/>.</summary>
    public bool Met => GrowthPercent is <= LimitPercent;
}
