extern alias benchmarks;

using benchmarks::AiFactory.Benchmarks.Soak;

namespace AiFactory.Tests.Benchmarks.Soak;

/// <summary>
/// The soak's per-minute table: each request falls in the minute it was due (not the one it ended in), so a slow
/// answer shows in the minute that caused it; an arrival the client could not send is an error with no latency.
/// </summary>
public sealed class SoakLedgerTests
{
    [Fact]
    public void Latencies_and_errors_fall_in_the_minute_each_arrival_was_due()
    {
        var ledger = new SoakLedger();
        var valid = new SoakRequest("rest", false, KeyRole.Unrestricted, "m", ["200"], (_, _, _) => Task.FromResult(Answer.Http(200)));
        var attack = new SoakRequest("attack", true, KeyRole.Unrestricted, "m", ["400"], (_, _, _) => Task.FromResult(Answer.Http(400)));

        ledger.Record(valid, "k", Answer.Http(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(4));
        // Due in the first minute, answered in the second: it belongs to the first.
        ledger.Record(valid, "k", Answer.Http(503), TimeSpan.FromSeconds(59.9), TimeSpan.FromSeconds(2));
        ledger.Record(valid, "k", Answer.Http(200), TimeSpan.FromSeconds(61), TimeSpan.FromMilliseconds(6));
        ledger.RecordDropped(valid, TimeSpan.FromSeconds(62));
        ledger.Record(attack, "k", Answer.Http(500), TimeSpan.FromSeconds(125), TimeSpan.FromMilliseconds(1));

        var minutes = ledger.Minutes;

        Assert.Equal([0, 1, 2], minutes.Select(minute => minute.Minute));
        Assert.Equal([4.0, 2_000.0], minutes[0].Record.ValidLatenciesMs);
        Assert.Equal(1, minutes[0].Record.ValidErrors);
        Assert.Equal([6.0], minutes[1].Record.ValidLatenciesMs);  // the unsent arrival has no latency...
        Assert.Equal(1, minutes[1].Record.ValidErrors);          // ...but is an error
        Assert.Equal((0, 1L, 1L), (minutes[2].Record.ValidLatenciesMs.Count, minutes[2].Record.Hostile, minutes[2].Record.HostileErrors));
        Assert.Equal((4L, 2L, 1L, 1L), (ledger.Valid, ledger.ValidErrors, ledger.Hostile, ledger.HostileErrors));
    }
}
