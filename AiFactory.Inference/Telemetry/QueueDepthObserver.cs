using System.Diagnostics.Metrics;

namespace AiFactory.Inference.Telemetry;

/// <summary>
/// Items waiting in every batcher of this replica now, read from its own <c>aifactory.inference.queue.depth</c>
/// instrument, so the status the gateway's overview shows is the number Prometheus scrapes. A hosted service only so
/// that it listens from the start: a listener that missed an item entering a queue would count it leaving.
/// </summary>
public sealed class QueueDepthObserver : IHostedService, IDisposable
{
    private readonly MeterListener _listener = new();
    private long _items;

    public QueueDepthObserver(IMeterFactory meterFactory)
    {
        // Only this service's meter (another host in the same process, as in tests, has its own factory).
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meterFactory && instrument.Meter.Name == InferenceMetrics.MeterName
                && instrument.Name == InferenceMetrics.QueueDepthInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, items, _, _) => Interlocked.Add(ref _items, items));
        _listener.Start();
    }

    public long Items => Math.Max(0, Interlocked.Read(ref _items));

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();
}
