using System.Globalization;
using AiFactory.Dashboard.Gateway;
using MudBlazor;

namespace AiFactory.Dashboard.Monitoring;

/// <summary>One chart of the overview: its series over the samples, and its newest value as text.</summary>
public sealed record OverviewChart(string Title, List<ChartSeries<double>> Series, string Latest)
{
    /// <summary>The sample times as labels (every few, so they stay legible) and the six charts.</summary>
    public static (string[] Labels, List<OverviewChart> Charts) Of(IReadOnlyList<OverviewSample> samples)
    {
        var labels = LabelsOf([.. samples.Select(sample => sample.At)]);
        var last = samples.Count > 0 ? samples[^1] : null;
        return (labels,
        [
            Chart("Request rate (per second)", last?.RequestsPerSecond, "0.##", ("requests/s", samples.Select(s => (double?)s.RequestsPerSecond))),
            Chart("Latency (ms)", last?.P95Ms, "0.# 'ms p95'",
                ("p50", samples.Select(s => s.P50Ms)), ("p95", samples.Select(s => s.P95Ms)), ("p99", samples.Select(s => s.P99Ms))),
            Chart("Error rate (5xx, %)", last?.ErrorRate * 100, "0.## '%'", ("errors", samples.Select(s => s.ErrorRate * 100))),
            Chart("Cache hit ratio (%)", last?.CacheHitRatio * 100, "0.# '%'", ("hits", samples.Select(s => s.CacheHitRatio * 100))),
            Chart("Mean batch size", last?.MeanBatchSize, "0.##", ("items per execution", samples.Select(s => s.MeanBatchSize))),
            Chart("Queue depth (items)", last?.QueueDepth, "0", ("waiting", samples.Select(s => (double?)s.QueueDepth))),
        ]);
    }

    /// <summary>Sample times as chart labels: one every few samples (about six in all), so they stay legible at 390 px.</summary>
    public static string[] LabelsOf(IReadOnlyList<DateTimeOffset> times)
    {
        var every = Math.Max(1, times.Count / 6);
        return [.. times.Select((at, i) => i % every == 0 ? at.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture) : "")];
    }

    private static OverviewChart Chart(string title, double? latest, string format, params (string Name, IEnumerable<double?> Values)[] series) =>
        new(title,
            [.. series.Select(s => new ChartSeries<double> { Name = s.Name, Data = new ChartData<double>([.. s.Values]) })],
            latest is { } value ? value.ToString(format, CultureInfo.InvariantCulture) : "—");
}
