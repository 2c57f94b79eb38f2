using AiFactory.Inference.Analysis;

namespace AiFactory.Tests.Analysis;

/// <summary>The analyzer's choice on hand-made tables: the highest throughput that meets the objective, and nothing else.</summary>
public sealed class RecommendationRuleTests
{
    private static readonly LatencyObjective P95Under50 = new(95, 50);

    [Fact]
    public void The_highest_throughput_that_meets_the_objective_wins_over_a_faster_one_that_misses_it()
    {
        AnalysisRow[] table =
        [
            Row(instances: 1, throughput: 300, p95: 20, baseline: true),
            Row(instances: 2, throughput: 900, p95: 51),
            Row(instances: 3, throughput: 600, p95: 49),
            Row(instances: 4, throughput: 500, p95: 10),
        ];

        Assert.Same(table[2], RecommendationRule.Choose(table, P95Under50));
    }

    [Fact]
    public void The_objective_percentile_is_the_one_judged()
    {
        AnalysisRow[] table = [Row(instances: 1, throughput: 400, p95: 30, p99: 80), Row(instances: 2, throughput: 300, p95: 40, p99: 45)];

        Assert.Same(table[0], RecommendationRule.Choose(table, new LatencyObjective(95, 50)));
        Assert.Same(table[1], RecommendationRule.Choose(table, new LatencyObjective(99, 50)));
    }

    [Fact]
    public void A_point_exactly_at_the_objective_meets_it() =>
        Assert.True(RecommendationRule.Meets(Row(instances: 1, throughput: 1, p95: 50), P95Under50));

    [Fact]
    public void A_point_that_failed_requests_or_measured_nothing_never_wins_however_fast()
    {
        AnalysisRow[] table =
        [
            Row(instances: 1, throughput: 100, p95: 20),
            Row(instances: 2, throughput: 900, p95: 5) with { Failed = 3 },
            Row(instances: 3, throughput: 0, p95: 0) with { Requests = 0, Error = "this configuration cannot load: no" },
        ];

        Assert.Same(table[0], RecommendationRule.Choose(table, P95Under50));
    }

    [Fact]
    public void None_meeting_the_objective_recommends_nothing_and_says_the_best_percentile_reached()
    {
        AnalysisRow[] table = [Row(instances: 1, throughput: 100, p95: 70, baseline: true), Row(instances: 2, throughput: 200, p95: 62.5), Row(instances: 3, throughput: 300, p95: 90)];

        var chosen = RecommendationRule.Choose(table, P95Under50);

        Assert.Null(chosen);
        var answer = RecommendationRule.Answer(table, P95Under50, chosen);
        Assert.StartsWith("no configuration met p95 ≤ 50 ms: the best p95 reached was 62.5 ms (", answer);
        Assert.Contains("instance_count 2", answer);
    }

    [Fact]
    public void Equal_throughput_goes_to_the_lower_percentile()
    {
        AnalysisRow[] table = [Row(instances: 1, throughput: 500, p95: 30), Row(instances: 2, throughput: 500, p95: 20)];

        Assert.Same(table[1], RecommendationRule.Choose(table, P95Under50));
    }

    [Fact]
    public void A_full_tie_keeps_the_shipped_config_then_takes_fewer_instances_then_fewer_threads()
    {
        AnalysisRow[] withBaseline = [Row(instances: 1, throughput: 500, p95: 20), Row(instances: 2, throughput: 500, p95: 20, baseline: true)];
        AnalysisRow[] instances = [Row(instances: 2, throughput: 500, p95: 20), Row(instances: 1, throughput: 500, p95: 20)];
        AnalysisRow[] threads = [Row(instances: 1, throughput: 500, p95: 20, threads: 0), Row(instances: 1, throughput: 500, p95: 20, threads: 2)];

        Assert.Same(withBaseline[1], RecommendationRule.Choose(withBaseline, P95Under50));
        Assert.Same(instances[1], RecommendationRule.Choose(instances, P95Under50));
        // 0 is "one per core": the most threads there are.
        Assert.Same(threads[1], RecommendationRule.Choose(threads, P95Under50));
    }

    [Fact]
    public void The_answer_names_the_winner_and_the_shipped_configs_throughput()
    {
        AnalysisRow[] table = [Row(instances: 1, throughput: 300, p95: 20, baseline: true), Row(instances: 2, throughput: 450, p95: 30)];

        var answer = RecommendationRule.Answer(table, P95Under50, RecommendationRule.Choose(table, P95Under50));

        Assert.Equal("max_batch_size 8, max_queue_delay_us 1000, instance_count 2, intra_op_threads 1, cpu, concurrency 4 meets p95 ≤ 50 ms with 450/s "
                     + "(p95 30 ms); the version's own config reached 300/s at concurrency 4", answer);
    }

    private static AnalysisRow Row(int instances, double throughput, double p95, double? p99 = null, bool baseline = false, int threads = 1) =>
        new(new SweepSettings(8, 1000, instances, threads, "cpu"), baseline, 4, 100, 0, throughput, p95 / 2, p95, p99 ?? p95 * 1.2, false);
}
