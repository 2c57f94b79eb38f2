using System.Diagnostics.Metrics;
using AiFactory.Gateway.Telemetry;

namespace AiFactory.Gateway.Overview;

/// <summary>
/// Feeds <see cref="TrafficWindow"/> from this gateway's own instruments (<see cref="GatewayMetrics"/>): the duration
/// and status of every proxied request, and every response-cache lookup. The overview thus charts the numbers
/// Prometheus scrapes, without a second way of counting them.
/// </summary>
public sealed class GatewayTrafficListener : IHostedService, IDisposable
{
    private readonly MeterListener _listener = new();

    public GatewayTrafficListener(IMeterFactory meterFactory, TrafficWindow window)
    {
        // Only this gateway's meter: another gateway in the same process (tests) has its own factory.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meterFactory && instrument.Meter.Name == GatewayMetrics.MeterName
                && instrument.Name is GatewayMetrics.RequestDurationInstrument or GatewayMetrics.CacheLookupsInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) => window.Request(StatusOf(tags), seconds));
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) => window.CacheLookup(IsHit(tags)));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();

    private static int StatusOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "status" && tag.Value is int status)
            {
                return status;
            }
        }

        return 0;
    }

    private static bool IsHit(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "result")
            {
                return tag.Value as string == "hit";
            }
        }

        return false;
    }
}
