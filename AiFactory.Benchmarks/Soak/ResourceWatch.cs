using System.Globalization;

namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// Samples the memory of every process of the run and the machine's load average every few seconds: the last
/// sample of each minute for the report's table, each process's peak after the warm-up, and the readings the
/// memory goal compares (after the warm-up, at the end).
/// </summary>
public sealed class ResourceWatch(IReadOnlyList<ProcessGroup> groups)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly SortedDictionary<int, (IReadOnlyDictionary<string, MemoryReading> Memory, double LoadAverage)> _minutes = [];
    private readonly Dictionary<string, long> _peakBytes = [];
    private readonly List<double> _loadAverages = [];

    public IReadOnlyList<ProcessGroup> Groups => groups;

    /// <summary>The readings after the warm-up; null until then.</summary>
    public IReadOnlyDictionary<string, MemoryReading>? AfterWarmup { get; private set; }

    /// <summary>Every group's memory now.</summary>
    public IReadOnlyDictionary<string, MemoryReading> ReadAll() => groups.ToDictionary(group => group.Name, group => group.Read());

    /// <summary>
    /// Samples until <paramref name="cancellationToken"/> is cancelled; takes <see cref="AfterWarmup"/> when
    /// <paramref name="warmup"/> has passed since <paramref name="origin"/> (a <see cref="TimeProvider.System"/> timestamp).
    /// </summary>
    public async Task RunAsync(long origin, TimeSpan warmup, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var elapsed = TimeProvider.System.GetElapsedTime(origin);
                var readings = ReadAll();
                var load = LoadAverage();
                lock (_gate)
                {
                    _minutes[(int)elapsed.TotalMinutes] = (readings, load);
                    _loadAverages.Add(load);
                    if (elapsed >= warmup)
                    {
                        AfterWarmup ??= readings;
                        foreach (var (name, reading) in readings)
                        {
                            _peakBytes[name] = Math.Max(_peakBytes.GetValueOrDefault(name), reading.RssBytes);
                        }
                    }
                }

                // Sampled on the interval, and once exactly at the end of the warm-up.
                var untilWarmup = warmup - TimeProvider.System.GetElapsedTime(origin);
                await Task.Delay(AfterWarmup is null && untilWarmup < Interval ? TimeSpan.FromTicks(Math.Max(0, untilWarmup.Ticks)) : Interval, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The highest RSS of <paramref name="name"/> sampled after the warm-up.</summary>
    public long PeakBytes(string name)
    {
        lock (_gate)
        {
            return _peakBytes.GetValueOrDefault(name);
        }
    }

    /// <summary>The last sample of each minute of the run: every group's memory and the 1-minute load average.</summary>
    public IReadOnlyList<(int Minute, IReadOnlyDictionary<string, MemoryReading> Memory, double LoadAverage)> Minutes
    {
        get
        {
            lock (_gate)
            {
                return [.. _minutes.Select(minute => (minute.Key, minute.Value.Memory, minute.Value.LoadAverage))];
            }
        }
    }

    /// <summary>The 1-minute load averages sampled during the run.</summary>
    public IReadOnlyList<double> LoadAverages
    {
        get
        {
            lock (_gate)
            {
                return [.. _loadAverages];
            }
        }
    }

    /// <summary>The machine's load averages over the last 1, 5 and 15 minutes, as <c>uptime</c> shows them.</summary>
    public static string MachineLoad() => string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);

    // /proc/loadavg: "0.52 0.58 0.59 1/123 4567"; the first figure is the last minute's.
    private static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}
