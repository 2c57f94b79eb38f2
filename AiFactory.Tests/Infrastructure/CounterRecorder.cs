using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Records one counter of one in-process service (its meters come from that service's own
/// <see cref="IMeterFactory"/>, so two services in one test process are told apart).
/// </summary>
public sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(long Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

    public CounterRecorder(IServiceProvider services, string instrument)
    {
        var scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Name == instrument && ReferenceEquals(published.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (_measurements)
            {
                _measurements.Add((value, tags.ToArray()));
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of the measurements that carry every one of <paramref name="tags"/> (<c>outcome=ok</c>).</summary>
    public long Sum(params string[] tags)
    {
        lock (_measurements)
        {
            return _measurements.Where(measurement => tags.All(tag => measurement.Tags.Any(t => $"{t.Key}={t.Value}" == tag))).Sum(measurement => measurement.Value);
        }
    }

    public void Dispose() => _listener.Dispose();
}
