extern alias benchmarks;

using benchmarks::AiFactory.Benchmarks.Soak;
using Grpc.Core;

namespace AiFactory.Tests.Benchmarks.Soak;

/// <summary>
/// The soak's usage check: what the client expects the gateway to have counted (from the answers it saw) against the
/// rows the gateway wrote, cell by cell (key, model, status), whatever minute or version the rows fall in.
/// </summary>
public sealed class UsageReconciliationTests
{
    private const string Key = "0123456789abcdef";
    private const string Other = "fedcba9876543210";

    [Fact]
    public void Rows_over_several_minutes_and_versions_add_up_to_their_cell()
    {
        var sent = Sent((new UsageCell(Key, "text-direction", 200), 5), (new UsageCell(Key, "(invalid)", 404), 1));
        UsageRow[] written =
        [
            new(Key, "text-direction", "1", 200, 3),  // minute 1
            new(Key, "text-direction", "1", 200, 1),  // minute 2
            new(Key, "text-direction", "2", 200, 1),  // another version
            new(Key, "(invalid)", "", 404, 1),
        ];

        var comparisons = UsageReconciliation.Compare(sent, written);

        Assert.Equal([new(new UsageCell(Key, "(invalid)", 404), 1, 1), new(new UsageCell(Key, "text-direction", 200), 5, 5)], comparisons);
        Assert.True(UsageReconciliation.IsExact(comparisons));
    }

    [Fact]
    public void A_request_the_gateway_did_not_write_is_a_difference()
    {
        var comparisons = UsageReconciliation.Compare(Sent((new UsageCell(Key, "text-direction", 200), 5)), [new(Key, "text-direction", "1", 200, 4)]);

        Assert.Equal(-1, Assert.Single(comparisons).Difference);
        Assert.False(UsageReconciliation.IsExact(comparisons));
    }

    [Fact]
    public void A_row_the_client_never_sent_is_a_difference_even_when_the_totals_agree()
    {
        // The same total, but one request counted under another status and another under another key.
        var sent = Sent((new UsageCell(Key, "text-direction", 200), 2));
        UsageRow[] written = [new(Key, "text-direction", "1", 200, 1), new(Key, "text-direction", "1", 499, 1)];

        var comparisons = UsageReconciliation.Compare(sent, written);

        Assert.Equal([(200, 2L, 1L), (499, 0L, 1L)], comparisons.Select(c => (c.Cell.Status, c.Sent, c.Written)));
        Assert.False(UsageReconciliation.IsExact(comparisons));
    }

    [Fact]
    public void Cells_come_in_order_of_key_model_and_status()
    {
        var sent = Sent((new UsageCell(Other, "a", 200), 1), (new UsageCell(Key, "b", 429), 1), (new UsageCell(Key, "b", 200), 1), (new UsageCell(Key, "a", 400), 1));

        var comparisons = UsageReconciliation.Compare(sent, []);

        Assert.Equal([(Key, "a", 400), (Key, "b", 200), (Key, "b", 429), (Other, "a", 200)],
            comparisons.Select(c => (c.Cell.KeyId, c.Cell.Model, c.Cell.Status)));
    }

    [Fact]
    public void The_client_expects_each_answer_under_the_status_the_gateway_meters()
    {
        var ledger = new SoakLedger();
        var rest = Request("rest", KeyRole.Unrestricted, "text-direction", hostile: false);
        var grpc = Request("grpc-forbidden", KeyRole.Restricted, "text-detection", hostile: true);
        var madeUp = Request("made-up-key", KeyRole.MadeUp, "text-direction", hostile: true);

        ledger.Record(rest, Key, Answer.Http(200), TimeSpan.Zero, TimeSpan.FromMilliseconds(5));
        ledger.Record(rest, Key, Answer.Http(429), TimeSpan.Zero, TimeSpan.FromMilliseconds(5));
        // A gRPC refusal travels in an HTTP 200 answer: the meter counts 200.
        ledger.Record(grpc, Other, Answer.Grpc(StatusCode.PermissionDenied), TimeSpan.Zero, TimeSpan.FromMilliseconds(5));
        // Refused before metering: no usage.
        ledger.Record(madeUp, null, Answer.Http(401), TimeSpan.Zero, TimeSpan.FromMilliseconds(5));
        // No answer: the client cannot know what was counted.
        ledger.Record(rest, Key, Answer.Failed("timeout"), TimeSpan.Zero, TimeSpan.FromSeconds(30));
        // Never sent: nothing to count.
        ledger.RecordDropped(rest, TimeSpan.Zero);

        Assert.Equal(Sent((new UsageCell(Key, "text-direction", 200), 1), (new UsageCell(Key, "text-direction", 429), 1), (new UsageCell(Other, "text-detection", 200), 1)),
            ledger.Metered.OrderBy(cell => cell.Key.KeyId).ThenBy(cell => cell.Key.Status).ToDictionary());
        Assert.Equal((1L, 1L, 1L), (ledger.Unmetered, ledger.Indeterminate, ledger.Dropped));
        // The 429 is an error for a key that must never be refused; the timeout and the unsent one too.
        Assert.Equal(3, ledger.ValidErrors);
    }

    private static Dictionary<UsageCell, long> Sent(params (UsageCell Cell, long Requests)[] cells) =>
        cells.ToDictionary(cell => cell.Cell, cell => cell.Requests);

    private static SoakRequest Request(string name, KeyRole key, string model, bool hostile) =>
        new(name, hostile, key, model, hostile ? ["400"] : ["200"], (_, _, _) => Task.FromResult(Answer.Http(200)));
}
