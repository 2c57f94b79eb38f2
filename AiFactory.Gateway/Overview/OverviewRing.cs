using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Overview;

/// <summary>
/// The last <see cref="OverviewOptions.Window"/> of samples, oldest first, in a fixed ring: memory does not grow with
/// uptime, and a sample older than the window is never returned even when sampling paused (a stalled process).
/// </summary>
public sealed class OverviewRing(IOptions<OverviewOptions> options, TimeProvider time)
{
    private readonly OverviewSample?[] _samples = new OverviewSample?[options.Value.Capacity];
    private readonly Lock _lock = new();
    private int _next;

    public int Capacity => _samples.Length;

    public void Add(OverviewSample sample)
    {
        lock (_lock)
        {
            _samples[_next] = sample;
            _next = (_next + 1) % _samples.Length;
        }
    }

    /// <summary>The samples taken within the window before now, oldest first.</summary>
    public IReadOnlyList<OverviewSample> Recent()
    {
        var since = time.GetUtcNow() - options.Value.Window;
        lock (_lock)
        {
            var recent = new List<OverviewSample>(_samples.Length);
            for (var i = 0; i < _samples.Length; i++)
            {
                if (_samples[(_next + i) % _samples.Length] is { } sample && sample.At > since)
                {
                    recent.Add(sample);
                }
            }

            return recent;
        }
    }
}
