using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AiFactory.Inference.Telemetry;

/// <summary>The inference service's metrics (<c>aifactory.inference.*</c>) and its activity source.</summary>
public sealed class InferenceMetrics
{
    public const string MeterName = "AiFactory.Inference";
    public const string QueueDepthInstrument = "aifactory.inference.queue.depth";

    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly Counter<long> _requests;
    private readonly Counter<long> _items;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _queueDuration;
    private readonly Histogram<double> _computeDuration;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _padding;
    private readonly UpDownCounter<long> _queueDepth;

    private static readonly InstrumentAdvice<double> LatencyBuckets = new() { HistogramBucketBoundaries = Microsoft.Extensions.Hosting.Extensions.LatencyBucketsSeconds };

    public InferenceMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("aifactory.inference.requests", "{request}", "Inference requests by model, version and outcome");
        _items = meter.CreateCounter<long>("aifactory.inference.items", "{item}", "Items inferred (a request of k items counts k)");
        _requestDuration = meter.CreateHistogram("aifactory.inference.request.duration", "s", "Time from a request's arrival to its answer", advice: LatencyBuckets);
        _queueDuration = meter.CreateHistogram("aifactory.inference.queue.duration", "s", "Time a request waited for its batch", advice: LatencyBuckets);
        _computeDuration = meter.CreateHistogram("aifactory.inference.compute.duration", "s", "Time one model execution took", advice: LatencyBuckets);
        _batchSize = meter.CreateHistogram<int>("aifactory.inference.batch.size", "{item}", "Items per model execution");
        _padding = meter.CreateCounter<long>("aifactory.inference.batch.padding", "{item}",
            "Rows of zeros added to batches to reach a padded batch size (not counted as items)");
        _queueDepth = meter.CreateUpDownCounter<long>(QueueDepthInstrument, "{item}", "Items waiting in the batcher");
        Meter = meter;
    }

    /// <summary>For gauges that observe other services (loaded models).</summary>
    public Meter Meter { get; }

    public void RecordRequest(string model, string version, string outcome, double seconds)
    {
        var tags = new TagList { { "model", model }, { "version", version }, { "outcome", outcome } };
        _requests.Add(1, tags);
        _requestDuration.Record(seconds, tags);
    }

    /// <summary>One execution of <paramref name="items"/> real items, run with <paramref name="paddingItems"/> rows of padding.</summary>
    public void RecordExecution(string model, string version, string provider, int items, int paddingItems, double seconds)
    {
        var tags = new TagList { { "model", model }, { "version", version }, { "provider", provider } };
        _items.Add(items, tags);
        _batchSize.Record(items, tags);
        _computeDuration.Record(seconds, tags);
        if (paddingItems > 0)
        {
            _padding.Add(paddingItems, tags);
        }
    }

    public void RecordQueued(string model, string version, double seconds) =>
        _queueDuration.Record(seconds, new TagList { { "model", model }, { "version", version } });

    public void AddQueueDepth(string model, string version, long items) =>
        _queueDepth.Add(items, new TagList { { "model", model }, { "version", version } });
}
