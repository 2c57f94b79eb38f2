namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Watches the memory of AppHost resources' processes while an attack runs, from <c>/proc/&lt;pid&gt;/status</c>
/// every 20 ms, so a peak between two requests is seen and not only what is left at the end:
/// <list type="bullet">
/// <item>resident (<c>VmRSS</c>): the pages the process touched, what a node runs out of;</item>
/// <item>committed (<c>VmData</c>, private writable mappings): includes the managed heap as the GC commits it, which a
/// container's GC heap limit counts even before a page of it is touched: a buffer rented at a size the client
/// merely declared shows up here, not in RSS.</item>
/// </list>
/// Growth is measured from the baseline taken when the watch starts; warm the process up before.
/// </summary>
public sealed class MemoryWatch : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    private readonly Dictionary<string, Sample> _baselines;
    private readonly Dictionary<string, Sample> _peaks;
    private readonly Dictionary<string, int> _processes;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    private MemoryWatch(Dictionary<string, int> processes)
    {
        _processes = processes;
        _baselines = processes.ToDictionary(process => process.Key, process => Read(process.Value));
        _peaks = new Dictionary<string, Sample>(_baselines);
        _sampling = Task.Run(SampleAsync);
    }

    /// <summary>Starts watching <paramref name="resources"/>; their current memory is the baseline.</summary>
    public static MemoryWatch Start(AppHostFixture fixture, params string[] resources) =>
        new(resources.ToDictionary(resource => resource, resource =>
        {
            using var process = fixture.ProcessOf(resource);
            return process.Id;
        }));

    /// <summary>Stops sampling and asserts that every watched process grew at most <paramref name="bound"/> bytes, resident and committed.</summary>
    public async Task AssertGrewAtMostAsync(long bound, string attack)
    {
        await StopAsync();
        foreach (var (resource, baseline) in _baselines)
        {
            var peak = _peaks[resource];
            Assert.True(peak.Resident - baseline.Resident <= bound,
                $"{attack}: {resource}'s resident memory grew {Mb(peak.Resident - baseline.Resident)} MB (from {Mb(baseline.Resident)} MB), more than {Mb(bound)} MB");
            Assert.True(peak.Committed - baseline.Committed <= bound,
                $"{attack}: {resource}'s committed memory grew {Mb(peak.Committed - baseline.Committed)} MB (from {Mb(baseline.Committed)} MB), more than {Mb(bound)} MB");
        }
    }

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var (resource, pid) in _processes)
            {
                var sample = Read(pid);
                var peak = _peaks[resource];
                _peaks[resource] = new Sample(Math.Max(peak.Resident, sample.Resident), Math.Max(peak.Committed, sample.Committed));
            }

            try
            {
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
    }

    private static Sample Read(int pid)
    {
        long resident = 0, committed = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmData:", StringComparison.Ordinal))
            {
                committed = Kilobytes(line) * 1024;
            }
        }

        return new Sample(resident, committed);
    }

    // "VmRSS:	  159888 kB"
    private static long Kilobytes(string line) => long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]);

    private static long Mb(long bytes) => bytes / (1024 * 1024);

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private readonly record struct Sample(long Resident, long Committed);
}
