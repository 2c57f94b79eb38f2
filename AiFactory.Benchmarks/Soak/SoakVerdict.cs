namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// The soak's goals, judged from what it measured: no error on the valid requests, every hostile request refused,
/// memory growth after the warm-up within <see cref="MemoryGrowth.LimitPercent"/> for every process, and usage
/// written exactly as sent.
/// </summary>
public sealed record SoakVerdict(
    long Valid, long ValidErrors, long Hostile, long HostileErrors, MemoryGrowth? LargestGrowth, bool MemoryMet,
    long UsageSent, long UsageWritten, int CellsDiffering, int Cells, long Indeterminate)
{
    /// <summary>Errors on the valid requests in percent of them; null when none was sent.</summary>
    public double? ValidErrorPercent => Valid == 0 ? null : 100.0 * ValidErrors / Valid;

    /// <summary>Met only by a run that sent valid requests: one that sent none has shown nothing.</summary>
    public bool ErrorsMet => Valid > 0 && ValidErrors == 0;

    public bool HostileMet => HostileErrors == 0;

    /// <summary>
    /// Exact: every cell written as often as sent, and no request whose outcome the client does not know (it could
    /// have been counted under any status, so agreeing cells would prove nothing about it).
    /// </summary>
    public bool UsageMet => CellsDiffering == 0 && Indeterminate == 0;

    public static SoakVerdict Of(SoakLedger ledger, IReadOnlyList<MemoryGrowth> memory, IReadOnlyList<UsageComparison> usage) => new(
        ledger.Valid, ledger.ValidErrors, ledger.Hostile, ledger.HostileErrors,
        // A process not measured at a reading is the worst case: it has no growth figure to be within the limit.
        memory.OrderByDescending(growth => growth.GrowthPercent ?? double.MaxValue).FirstOrDefault(),
        memory.Count > 0 && memory.All(growth => growth.Met),
        usage.Sum(comparison => comparison.Sent), usage.Sum(comparison => comparison.Written),
        usage.Count(comparison => comparison.Difference != 0), usage.Count, ledger.Indeterminate);
}
