using System.Globalization;
using AiFactory.Dashboard.Gateway;
using AiFactory.Dashboard.Monitoring;
using MudBlazor;

namespace AiFactory.Dashboard.Models;

/// <summary>One version over the charted period: its weight, its requests and errors, its latest rate and p95.</summary>
public sealed record CanaryVersionSummary(int Version, int Weight, bool Stable, long Requests, long Errors, double? ErrorRate, double RequestsPerSecond, double? P95Ms);

/// <summary>
/// What the canary comparison shows of a model (<see cref="CanaryReport"/>): whether a canary runs (more than one
/// version with weight, or with traffic in the charted period, so a canary just rolled back still shows why), the
/// three charts with one series per version, and a summary per version.
/// </summary>
public sealed record CanaryComparisonView(bool Running, string[] Labels, IReadOnlyList<OverviewChart> Charts, IReadOnlyList<CanaryVersionSummary> Versions)
{
    public static CanaryComparisonView Of(CanaryReport report)
    {
        var samples = report.Samples;
        var versions = samples.SelectMany(sample => sample.Versions).Where(version => version.Requests > 0).Select(version => version.Version)
            .Union(report.Weights.Where(weight => weight.Value > 0).Select(weight => int.Parse(weight.Key, CultureInfo.InvariantCulture)))
            .Order().ToList();
        var running = report.Weights.Count(weight => weight.Value > 0) > 1
                      || samples.Any(sample => sample.Versions.Count(version => version.Requests > 0) > 1);
        if (!running)
        {
            return new CanaryComparisonView(false, [], [], []);
        }

        return new CanaryComparisonView(true, OverviewChart.LabelsOf([.. samples.Select(sample => sample.At)]),
        [
            Chart("Latency p95 (ms)", "0.#' ms'", samples, versions, version => version?.P95Ms),
            Chart("Error rate (5xx, %)", "0.#' %'", samples, versions, version => version?.ErrorRate * 100),
            Chart("Request rate (per second)", "0.##' /s'", samples, versions, version => version?.RequestsPerSecond),
        ], [.. versions.Select(version => Summary(report, version))]);
    }

    private static OverviewChart Chart(string title, string format, CanarySample[] samples, List<int> versions, Func<VersionSample?, double?> value)
    {
        var series = versions.Select(version => (Version: version, Values: samples.Select(sample => value(Of(sample, version))).ToList())).ToList();
        var latest = string.Join(" · ", series.Select(s => $"v{s.Version} {(s.Values.LastOrDefault(v => v is not null) is { } last ? last.ToString(format, CultureInfo.InvariantCulture) : "—")}"));
        return new OverviewChart(title,
            [.. series.Select(s => new ChartSeries<double> { Name = $"v{s.Version}", Data = new ChartData<double>([.. s.Values]) })], latest);
    }

    private static CanaryVersionSummary Summary(CanaryReport report, int version)
    {
        var samples = report.Samples.Select(sample => Of(sample, version)).OfType<VersionSample>().ToList();
        long requests = samples.Sum(sample => sample.Requests), errors = samples.Sum(sample => sample.Errors);
        return new CanaryVersionSummary(version, report.Weights.GetValueOrDefault(version.ToString(CultureInfo.InvariantCulture)), report.Stable == version,
            requests, errors, requests == 0 ? null : (double)errors / requests, samples.LastOrDefault()?.RequestsPerSecond ?? 0,
            samples.LastOrDefault(sample => sample.P95Ms is not null)?.P95Ms);
    }

    private static VersionSample? Of(CanarySample sample, int version) => sample.Versions.FirstOrDefault(figures => figures.Version == version);
}
