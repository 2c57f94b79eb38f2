extern alias benchmarks;

using benchmarks::AiFactory.Benchmarks;
using benchmarks::AiFactory.Benchmarks.Soak;

namespace AiFactory.Tests.Benchmarks.Soak;

/// <summary>
/// The soak report's arithmetic: the error rate on valid requests (a rate-limited key's 429 is an expected answer,
/// a timeout or an unsent arrival is an error), hostile requests that were not refused, the largest memory growth,
/// and usage written against requests sent; each goal's verdict from them.
/// </summary>
public sealed class SoakVerdictTests
{
    private const long Megabyte = 1024 * 1024;
    private const string Key = "0123456789abcdef";

    private static readonly SoakRequest Unrestricted = Request("rest", KeyRole.Unrestricted, hostile: false, "200");
    private static readonly SoakRequest RateLimited = Request("rate-limited", KeyRole.RateLimited, hostile: false, "200", "429");
    private static readonly SoakRequest Attack = Request("attack", KeyRole.Unrestricted, hostile: true, "400");

    private readonly SoakLedger _ledger = new();

    [Fact]
    public void The_error_rate_counts_unexpected_answers_timeouts_and_unsent_arrivals_of_the_valid_requests_only()
    {
        Record(Unrestricted, Answer.Http(200), times: 995);
        Record(RateLimited, Answer.Http(429), times: 2);             // expected: not an error
        Record(Unrestricted, Answer.Http(503), times: 1);
        Record(Unrestricted, Answer.Failed("timeout"), times: 1);
        _ledger.RecordDropped(Unrestricted, TimeSpan.Zero);
        Record(Attack, Answer.Http(400), times: 9);                 // refused, as it must be
        Record(Attack, Answer.Http(500), times: 1);                 // not refused: a hostile error, not a valid one

        var verdict = SoakVerdict.Of(_ledger, [Growth(100, 105)], []);

        Assert.Equal((1_000L, 3L), (verdict.Valid, verdict.ValidErrors));
        Assert.Equal(0.3, verdict.ValidErrorPercent!.Value, precision: 9);
        Assert.False(verdict.ErrorsMet);
        Assert.Equal((10L, 1L), (verdict.Hostile, verdict.HostileErrors));
        Assert.False(verdict.HostileMet);
    }

    [Fact]
    public void A_run_without_errors_meets_the_error_goals()
    {
        Record(Unrestricted, Answer.Http(200), times: 99);
        Record(RateLimited, Answer.Http(429), times: 1);
        Record(Attack, Answer.Http(404), times: 1);                 // another refusal than the expected one: still refused

        var verdict = SoakVerdict.Of(_ledger, [Growth(100, 105)], []);

        Assert.Equal(0, verdict.ValidErrorPercent);
        Assert.True(verdict.ErrorsMet);
        Assert.True(verdict.HostileMet);
    }

    [Fact]
    public void A_run_that_sent_no_valid_request_has_no_error_rate_and_does_not_meet_the_goal()
    {
        var verdict = SoakVerdict.Of(_ledger, [Growth(100, 105)], []);

        Assert.Null(verdict.ValidErrorPercent);
        Assert.False(verdict.ErrorsMet);
    }

    [Fact]
    public void The_largest_growth_decides_the_memory_goal()
    {
        var verdict = SoakVerdict.Of(_ledger, [Growth(100, 105, "redis-server"), Growth(200, 230, "gateway"), Growth(300, 290, "inference-1")], []);

        Assert.Equal("gateway", verdict.LargestGrowth!.Name);
        Assert.Equal(15, verdict.LargestGrowth.GrowthPercent!.Value, precision: 9);
        Assert.False(verdict.MemoryMet);
    }

    [Fact]
    public void A_process_missing_at_a_reading_is_the_largest_growth_and_the_memory_goal_is_not_met()
    {
        var gone = new MemoryGrowth("inference-2", One(100), default, PeakBytes: 100 * Megabyte);

        var verdict = SoakVerdict.Of(_ledger, [Growth(100, 101, "gateway"), gone], []);

        Assert.Equal("inference-2", verdict.LargestGrowth!.Name);
        Assert.False(verdict.MemoryMet);
    }

    [Fact]
    public void Memory_within_the_limit_for_every_process_meets_the_goal() =>
        Assert.True(SoakVerdict.Of(_ledger, [Growth(100, 110, "gateway"), Growth(50, 40, "redis-server")], []).MemoryMet);

    [Fact]
    public void Usage_written_against_requests_sent_adds_up_every_cell_and_counts_those_that_differ()
    {
        UsageComparison[] usage =
        [
            new(new UsageCell(Key, "text-direction", 200), Sent: 1_000, Written: 1_000),
            new(new UsageCell(Key, "text-direction", 429), Sent: 40, Written: 39),
            new(new UsageCell(Key, "text-detection", 200), Sent: 0, Written: 1),
        ];

        var verdict = SoakVerdict.Of(_ledger, [Growth(100, 101)], usage);

        Assert.Equal((1_040L, 1_040L, 2, 3), (verdict.UsageSent, verdict.UsageWritten, verdict.CellsDiffering, verdict.Cells));
        Assert.False(verdict.UsageMet);
    }

    [Fact]
    public void Usage_that_agrees_cell_by_cell_is_not_exact_while_a_request_s_outcome_is_unknown()
    {
        // The timed-out request may or may not have been counted: agreeing cells prove nothing about it.
        Record(Unrestricted, Answer.Http(200), times: 10, keyId: Key);
        Record(Unrestricted, Answer.Failed("timeout"), times: 1, keyId: Key);
        var usage = UsageReconciliation.Compare(_ledger.Metered, [new UsageRow(Key, "m", "1", 200, 10)]);

        var verdict = SoakVerdict.Of(_ledger, [Growth(100, 101)], usage);

        Assert.Equal((10L, 10L, 0), (verdict.UsageSent, verdict.UsageWritten, verdict.CellsDiffering));
        Assert.Equal(1, verdict.Indeterminate);
        Assert.False(verdict.UsageMet);
    }

    [Fact]
    public void Usage_written_exactly_as_sent_meets_the_goal()
    {
        Record(Unrestricted, Answer.Http(200), times: 10, keyId: Key);
        Record(RateLimited, Answer.Http(429), times: 2, keyId: Key);

        var usage = UsageReconciliation.Compare(_ledger.Metered, [new UsageRow(Key, "m", "1", 200, 7), new UsageRow(Key, "m", "2", 200, 3), new UsageRow(Key, "m", "", 429, 2)]);

        Assert.True(SoakVerdict.Of(_ledger, [Growth(100, 101)], usage).UsageMet);
    }

    private void Record(SoakRequest request, Answer answer, int times, string keyId = Key)
    {
        for (var i = 0; i < times; i++)
        {
            _ledger.Record(request, keyId, answer, TimeSpan.FromSeconds(i), TimeSpan.FromMilliseconds(5));
        }
    }

    private static MemoryGrowth Growth(long startMb, long endMb, string name = "gateway") => new(name, One(startMb), One(endMb), PeakBytes: endMb * Megabyte);

    private static MemoryReading One(long megabytes) => new(Processes: 1, RssBytes: megabytes * Megabyte, PssBytes: megabytes * Megabyte);

    private static SoakRequest Request(string name, KeyRole key, bool hostile, params string[] expected) =>
        new(name, hostile, key, "m", expected, (_, _, _) => Task.FromResult(Answer.Http(200)));
}
