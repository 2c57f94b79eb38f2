extern alias gateway;

using gateway::AiFactory.Gateway.Overview;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AiFactory.Tests.Gateway;

/// <summary>The overview's ring of samples and how a sample is computed, on a fake clock.</summary>
public sealed class OverviewAggregationTests
{
    private static readonly OverviewOptions Options = new() { SampleInterval = TimeSpan.FromSeconds(5), Window = TimeSpan.FromMinutes(15) };

    [Fact]
    public void The_ring_keeps_the_last_15_minutes_of_samples_oldest_first_and_never_grows()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z"));
        var ring = new OverviewRing(Microsoft.Extensions.Options.Options.Create(Options), time);

        // An hour of samples: four times what the window holds.
        for (var i = 0; i < 720; i++)
        {
            time.Advance(Options.SampleInterval);
            ring.Add(Sample(time.GetUtcNow(), requestsPerSecond: i));
        }

        var recent = ring.Recent();
        Assert.Equal(180, ring.Capacity);
        Assert.Equal(180, recent.Count);
        Assert.Equal(540, recent[0].RequestsPerSecond);
        Assert.Equal(719, recent[^1].RequestsPerSecond);
        Assert.True(recent.Zip(recent.Skip(1)).All(pair => pair.First.At < pair.Second.At));
    }

    [Fact]
    public void Samples_older_than_the_window_are_not_returned_after_sampling_stalls()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z"));
        var ring = new OverviewRing(Microsoft.Extensions.Options.Options.Create(Options), time);
        for (var i = 0; i < 10; i++)
        {
            time.Advance(Options.SampleInterval);
            ring.Add(Sample(time.GetUtcNow(), requestsPerSecond: i));
        }

        // Now 50 s + 14.6 min after the start: the samples of the last 15 minutes are those after 26 s.
        time.Advance(TimeSpan.FromMinutes(14.6));
        Assert.Equal([5, 6, 7, 8, 9], ring.Recent().Select(sample => sample.RequestsPerSecond));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(ring.Recent());
    }

    [Fact]
    public void A_sample_reports_rate_percentiles_error_rate_and_cache_hit_ratio_of_its_window()
    {
        var window = new TrafficWindow();
        // 100 requests: 1..100 ms, the last 5 answered 503; 40 cache lookups, 10 hits.
        for (var i = 1; i <= 100; i++)
        {
            window.Request(i > 95 ? 503 : 200, i / 1000.0);
        }

        for (var i = 0; i < 40; i++)
        {
            window.CacheLookup(hit: i < 10);
        }

        var at = DateTimeOffset.Parse("2026-11-28T10:00:05Z");
        var sample = OverviewAggregation.Sample(at, TimeSpan.FromSeconds(5), window.Take(), [], meanBatchSize: null);

        Assert.Equal(at, sample.At);
        Assert.Equal(20, sample.RequestsPerSecond);
        Assert.InRange(sample.P50Ms!.Value, 50 * 0.95, 50 * 1.05);
        Assert.InRange(sample.P95Ms!.Value, 95 * 0.95, 95 * 1.05);
        Assert.InRange(sample.P99Ms!.Value, 99 * 0.95, 99 * 1.05);
        Assert.Equal(0.05, sample.ErrorRate!.Value, 6);
        Assert.Equal(0.25, sample.CacheHitRatio!.Value, 6);
        Assert.Null(sample.QueueDepth); // no replica answered: unknown, not zero

        // The window started afresh: a quiet interval has a rate of 0 and nothing else to report.
        var quiet = OverviewAggregation.Sample(at.AddSeconds(5), TimeSpan.FromSeconds(5), window.Take(), [], null);
        Assert.Equal(0, quiet.RequestsPerSecond);
        Assert.Null(quiet.P50Ms);
        Assert.Null(quiet.ErrorRate);
        Assert.Null(quiet.CacheHitRatio);
    }

    [Fact]
    public void Queue_depth_adds_up_the_replicas_that_answered()
    {
        var replicas = new[]
        {
            Reading("inference-1", reachable: true, queue: 3),
            Reading("inference-2", reachable: true, queue: 4),
            Reading("inference-3", reachable: false, queue: null),
        };

        var sample = OverviewAggregation.Sample(DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(5), new TrafficWindow().Take(), replicas, 2.5);

        Assert.Equal(7, sample.QueueDepth);
        Assert.Equal(2.5, sample.MeanBatchSize);
    }

    [Fact]
    public void Mean_batch_size_is_the_growth_of_inferences_over_the_growth_of_executions_and_survives_a_restart()
    {
        var tracker = new BatchSizeTracker();

        // The first reading is a baseline: the counts since a replica started are not one window's.
        Assert.Null(tracker.Update([Counts("inference-1", 1000, 100), Counts("inference-2", 50, 50)]));

        // +80 inferences in +10 executions on one replica, +20 in +10 on the other: 100 / 20.
        Assert.Equal(5, tracker.Update([Counts("inference-1", 1080, 110), Counts("inference-2", 70, 60)]));

        // No execution anywhere: nothing to report.
        Assert.Null(tracker.Update([Counts("inference-1", 1080, 110), Counts("inference-2", 70, 60)]));

        // inference-2 restarted (its counts went down): what it shows now is its growth; inference-1 did not answer.
        Assert.Equal(3, tracker.Update([Counts("inference-2", 12, 4)]));

        // inference-1 answers again and is measured from where it was.
        Assert.Equal(2, tracker.Update([Counts("inference-1", 1100, 120), Counts("inference-2", 12, 4)]));
    }

    [Fact]
    public void Percentiles_of_a_skewed_window_stay_within_five_percent()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 990; i++)
        {
            histogram.Record(0.002);
        }

        for (var i = 0; i < 10; i++)
        {
            histogram.Record(1.5);
        }

        Assert.InRange(histogram.Percentile(0.5)!.Value, 0.002 * 0.95, 0.002 * 1.05);
        Assert.InRange(histogram.Percentile(0.995)!.Value, 1.5 * 0.95, 1.5 * 1.05);
        Assert.Null(new LatencyHistogram().Percentile(0.5));
    }

    private static OverviewSample Sample(DateTimeOffset at, double requestsPerSecond) =>
        new(at, requestsPerSecond, null, null, null, null, null, null, null);

    private static ReplicaReading Reading(string name, bool reachable, long? queue) =>
        new(new ReplicaView(name, $"http://{name}", reachable, reachable, true, queue, [], null), []);

    private static BatchSizeTracker.VersionCounts Counts(string replica, long inferences, long executions) =>
        new(replica, "text-direction", "1", inferences, executions);
}
