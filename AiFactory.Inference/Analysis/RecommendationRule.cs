using System.Globalization;

namespace AiFactory.Inference.Analysis;

/// <summary>
/// The analyzer's choice, from measurements alone: of the points whose objective percentile meets the objective and
/// that answered every request, the one with the highest throughput. Ties go to the lower percentile, then to the
/// version's own config (no change for nothing), then to fewer instances and threads (less of the machine), then to
/// the earlier row.
/// </summary>
public static class RecommendationRule
{
    /// <summary>The percentiles an objective may name.</summary>
    public static readonly int[] Percentiles = [95, 99];

    public static double Percentile(AnalysisRow row, LatencyObjective objective) => objective.Percentile == 99 ? row.P99Ms : row.P95Ms;

    /// <summary>True when the point measured something, answered every request and kept the objective.</summary>
    public static bool Meets(AnalysisRow row, LatencyObjective objective) =>
        row.Error is null && row.Requests > 0 && row.Failed == 0 && Percentile(row, objective) <= objective.LatencyMs;

    /// <summary>The winning row; null when none meets the objective.</summary>
    public static AnalysisRow? Choose(IReadOnlyList<AnalysisRow> rows, LatencyObjective objective) =>
        rows.Select((row, index) => (Row: row, Index: index))
            .Where(entry => Meets(entry.Row, objective))
            .OrderByDescending(entry => entry.Row.ThroughputPerSecond)
            .ThenBy(entry => Percentile(entry.Row, objective))
            .ThenByDescending(entry => entry.Row.Baseline)
            .ThenBy(entry => entry.Row.Settings.InstanceCount)
            .ThenBy(entry => entry.Row.Settings.IntraOpThreads == 0 ? int.MaxValue : entry.Row.Settings.IntraOpThreads)
            .ThenBy(entry => entry.Index)
            .Select(entry => entry.Row)
            .FirstOrDefault();

    /// <summary>The answer in a sentence: what won and by how much over the version's own config, or the best percentile reached.</summary>
    public static string Answer(IReadOnlyList<AnalysisRow> rows, LatencyObjective objective, AnalysisRow? chosen)
    {
        var target = $"p{objective.Percentile} ≤ {Number(objective.LatencyMs)} ms";
        if (chosen is null)
        {
            var measured = rows.Where(row => row.Error is null && row.Requests > 0).ToList();
            if (measured.Count == 0)
            {
                return $"no configuration could be measured, so none meets {target}";
            }

            var best = measured.MinBy(row => Percentile(row, objective))!;
            return $"no configuration met {target}: the best p{objective.Percentile} reached was {Number(Percentile(best, objective))} ms "
                   + $"({Describe(best)}); relax the objective or give the model faster hardware";
        }

        var baseline = Choose([.. rows.Where(row => row.Baseline)], objective);
        var comparison = baseline is null
            ? $"the version's own config met it at no measured load"
            : $"the version's own config reached {Number(baseline.ThroughputPerSecond)}/s at concurrency {baseline.Concurrency}";
        return chosen.Baseline
            ? $"the version's own config is the best that meets {target}: {Number(chosen.ThroughputPerSecond)}/s at concurrency {chosen.Concurrency}"
            : $"{Describe(chosen)} meets {target} with {Number(chosen.ThroughputPerSecond)}/s "
              + $"(p{objective.Percentile} {Number(Percentile(chosen, objective))} ms); {comparison}";
    }

    public static string Describe(AnalysisRow row)
    {
        var settings = row.Settings;
        var batching = settings.MaxBatchSize == 0 ? "no batching" : $"max_batch_size {settings.MaxBatchSize}, max_queue_delay_us {settings.MaxQueueDelayUs}";
        return $"{batching}, instance_count {settings.InstanceCount}, intra_op_threads {settings.IntraOpThreads}, {settings.ExecutionProvider}, concurrency {row.Concurrency}";
    }

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
