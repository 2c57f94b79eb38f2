namespace AiFactory.Gateway.Overview;

/// <summary>
/// Mean batch size over a sample window from the replicas' OIP statistics: the growth of <c>inference_count</c> over
/// the growth of <c>execution_count</c>, per replica and model version. A count that went down (the replica restarted,
/// or the version was unloaded and loaded again) started over from zero, so what it shows now is its growth. The first
/// reading is only a baseline: a replica's counts since it started are not one window's.
/// </summary>
public sealed class BatchSizeTracker
{
    private Dictionary<(string Replica, string Model, string Version), (long Inferences, long Executions)>? _previous;

    /// <summary>Takes every counter read now (a replica that could not be read is left out: it adds nothing this time).</summary>
    /// <returns>Inferences per execution since the last call; null when no execution happened.</returns>
    public double? Update(IEnumerable<VersionCounts> current)
    {
        long inferences = 0, executions = 0;
        var next = new Dictionary<(string, string, string), (long, long)>();
        foreach (var counts in current)
        {
            var key = (counts.Replica, counts.Model, counts.Version);
            next[key] = (counts.Inferences, counts.Executions);
            var (previousInferences, previousExecutions) = _previous?.GetValueOrDefault(key) ?? (counts.Inferences, counts.Executions);
            var restarted = counts.Inferences < previousInferences || counts.Executions < previousExecutions;
            inferences += restarted ? counts.Inferences : counts.Inferences - previousInferences;
            executions += restarted ? counts.Executions : counts.Executions - previousExecutions;
        }

        // A version not read now (its replica did not answer, or it was unloaded) keeps its last counts: few versions
        // ever exist, and a replica that answers again is measured from where it was.
        foreach (var (key, value) in _previous ?? [])
        {
            next.TryAdd(key, value);
        }

        _previous = next;
        return executions == 0 ? null : (double)inferences / executions;
    }

    public readonly record struct VersionCounts(string Replica, string Model, string Version, long Inferences, long Executions);
}
