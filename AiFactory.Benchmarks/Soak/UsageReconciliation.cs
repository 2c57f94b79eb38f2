namespace AiFactory.Benchmarks.Soak;

/// <summary>One cell of usage as the soak compares it: requests of a key for a model that ended with a status.</summary>
public readonly record struct UsageCell(string KeyId, string Model, int Status);

/// <summary>A usage row as <c>GET /api/admin/usage</c> reports it (one per minute and version as well).</summary>
public readonly record struct UsageRow(string KeyId, string Model, string Version, int Status, long Requests);

/// <summary>A cell's requests as the client sent them and as the gateway wrote them.</summary>
public readonly record struct UsageComparison(UsageCell Cell, long Sent, long Written)
{
    public long Difference => Written - Sent;
}

/// <summary>
/// Usage written against requests sent, cell by cell. The gateway's rows are per minute and version too; the client
/// cannot know which minute the gateway counted a request in (its clock ran on the other side of the request), so
/// rows are summed over both before they are compared.
/// </summary>
public static class UsageReconciliation
{
    /// <summary>Every cell either side has, in order, with both counts (0 where a side has none).</summary>
    public static IReadOnlyList<UsageComparison> Compare(IReadOnlyDictionary<UsageCell, long> sent, IEnumerable<UsageRow> written)
    {
        var writtenByCell = written
            .GroupBy(row => new UsageCell(row.KeyId, row.Model, row.Status))
            .ToDictionary(group => group.Key, group => group.Sum(row => row.Requests));
        return [.. sent.Keys.Union(writtenByCell.Keys)
            .OrderBy(cell => cell.KeyId, StringComparer.Ordinal).ThenBy(cell => cell.Model, StringComparer.Ordinal).ThenBy(cell => cell.Status)
            .Select(cell => new UsageComparison(cell, sent.GetValueOrDefault(cell), writtenByCell.GetValueOrDefault(cell)))];
    }

    /// <summary>Exact: every cell written as often as it was sent, no cell written that was not sent.</summary>
    public static bool IsExact(IReadOnlyList<UsageComparison> comparisons) => comparisons.All(comparison => comparison.Difference == 0);
}
