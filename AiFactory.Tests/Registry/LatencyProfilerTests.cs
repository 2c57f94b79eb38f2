using AiFactory.Inference.Validation;

namespace AiFactory.Tests.Registry;

/// <summary>The recommended max_batch_size: the smallest batch size past which the next one adds less than 10 % throughput.</summary>
public sealed class LatencyProfilerTests
{
    [Fact]
    public void The_recommendation_stops_where_the_next_batch_size_adds_less_than_ten_percent()
    {
        LatencyPoint[] profile = [Point(1, 100), Point(2, 190), Point(4, 350), Point(8, 380), Point(16, 900)];

        Assert.Equal(4, LatencyProfiler.Recommend(profile, batchable: true));
    }

    [Fact]
    public void Throughput_that_keeps_growing_recommends_the_largest_size_profiled() =>
        Assert.Equal(8, LatencyProfiler.Recommend([Point(1, 100), Point(2, 200), Point(4, 400), Point(8, 800)], batchable: true));

    [Fact]
    public void A_model_that_cannot_be_batched_recommends_zero() =>
        Assert.Equal(0, LatencyProfiler.Recommend([Point(1, 100)], batchable: false));

    private static LatencyPoint Point(int batchSize, double itemsPerSecond) => new(batchSize, 10, 1, 2, itemsPerSecond);
}
