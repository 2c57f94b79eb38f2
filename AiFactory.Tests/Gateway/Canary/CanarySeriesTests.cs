extern alias gateway;

using gateway::AiFactory.Gateway.Canary;
using gateway::AiFactory.Gateway.Overview;
using gateway::AiFactory.Gateway.Traffic;
using Microsoft.Extensions.Time.Testing;

namespace AiFactory.Tests.Gateway.Canary;

/// <summary>The per-version series the console's canary charts read, on a fake clock.</summary>
public sealed class CanarySeriesTests
{
    private static readonly OverviewOptions Options = new() { SampleInterval = TimeSpan.FromSeconds(5), Window = TimeSpan.FromMinutes(15) };
    private static readonly TrafficPolicy Canary = Policy("resnet", (1, 90), (2, 10));

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-28T10:00:00Z"));
    private readonly CanarySeries _series;

    public CanarySeriesTests() => _series = new CanarySeries(Microsoft.Extensions.Options.Options.Create(Options), _time);

    [Fact]
    public void Each_sample_counts_what_each_version_got_in_its_interval_with_rates_and_latency()
    {
        for (var i = 0; i < 9; i++)
        {
            _series.Record("resnet", 1, serverError: false, TimeSpan.FromMilliseconds(10));
        }

        _series.Record("resnet", 2, serverError: true, TimeSpan.FromMilliseconds(200));
        _series.Record("resnet", 2, serverError: false, TimeSpan.FromMilliseconds(200));
        _time.Advance(Options.SampleInterval);
        _series.Sample([Canary]);
        _series.Record("resnet", 1, serverError: false, TimeSpan.FromMilliseconds(10));
        _time.Advance(Options.SampleInterval);
        _series.Sample([Canary]);

        var samples = _series.Recent("resnet");
        Assert.Equal(2, samples.Count);
        var (stable, canary) = (samples[0].Versions[0], samples[0].Versions[1]);
        Assert.Equal((1, 9L, 0L, 9 / 5.0, 0.0), (stable.Version, stable.Requests, stable.Errors, stable.RequestsPerSecond, stable.ErrorRate));
        Assert.Equal((2, 2L, 1L, 2 / 5.0, 0.5), (canary.Version, canary.Requests, canary.Errors, canary.RequestsPerSecond, canary.ErrorRate));
        // Histogram buckets 10 % wide: within them of the true value.
        Assert.InRange(stable.P95Ms!.Value, 9, 11);
        Assert.InRange(canary.P95Ms!.Value, 180, 220);
        // The next interval starts afresh; a version with weight and no request is there with nothing measured.
        Assert.Equal(1, samples[1].Versions[0].Requests);
        Assert.Equal((2, 0L, 0.0, null, null), (samples[1].Versions[1].Version, samples[1].Versions[1].Requests, samples[1].Versions[1].RequestsPerSecond,
            samples[1].Versions[1].ErrorRate, samples[1].Versions[1].P95Ms));
    }

    [Fact]
    public void A_canary_rolled_back_keeps_its_history_and_leaves_the_samples_once_it_is_idle()
    {
        _series.Record("resnet", 2, serverError: true, TimeSpan.FromMilliseconds(5));
        _time.Advance(Options.SampleInterval);
        _series.Sample([Canary]);
        var rolledBack = Policy("resnet", (1, 100));
        _series.Sample([rolledBack]);
        _series.Sample([rolledBack]);

        var samples = _series.Recent("resnet");
        Assert.Equal([1, 2], samples[0].Versions.Select(version => version.Version));
        Assert.Equal([1], samples[2].Versions.Select(version => version.Version));
    }

    [Fact]
    public void Memory_is_bounded_by_the_policies_in_force_and_the_window()
    {
        // An hour of samples: four times what the window holds.
        for (var i = 0; i < 720; i++)
        {
            _series.Record("resnet", 1, serverError: false, TimeSpan.FromMilliseconds(1));
            _series.Record("gone", 1, serverError: false, TimeSpan.FromMilliseconds(1));
            _time.Advance(Options.SampleInterval);
            _series.Sample(i < 10 ? [Canary, Policy("gone", (1, 100))] : [Canary]);
        }

        Assert.Equal(Options.Capacity, _series.Recent("resnet").Count);
        Assert.Empty(_series.Recent("gone"));
        // Nothing older than the window, even when sampling stopped.
        _time.Advance(Options.Window);
        Assert.Empty(_series.Recent("resnet"));
    }

    private static TrafficPolicy Policy(string model, params (int Version, int Percent)[] weights) =>
        new(1, model, [.. weights.Select(weight => new VersionWeight(weight.Version, weight.Percent))], null);
}
