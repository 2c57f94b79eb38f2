namespace AiFactory.Gateway.Overview;

/// <summary>Turns one window's traffic and the replicas' readings into a sample.</summary>
public static class OverviewAggregation
{
    public static OverviewSample Sample(DateTimeOffset at, TimeSpan interval, TrafficWindow.Counts traffic,
        IReadOnlyList<ReplicaReading> replicas, double? meanBatchSize)
    {
        var reachable = replicas.Where(replica => replica.View.Reachable).ToList();
        return new OverviewSample(
            at,
            traffic.Requests / interval.TotalSeconds,
            Milliseconds(traffic.Latency.Percentile(0.50)),
            Milliseconds(traffic.Latency.Percentile(0.95)),
            Milliseconds(traffic.Latency.Percentile(0.99)),
            traffic.Requests == 0 ? null : (double)traffic.ServerErrors / traffic.Requests,
            traffic.CacheLookups == 0 ? null : (double)traffic.CacheHits / traffic.CacheLookups,
            meanBatchSize,
            // Items waiting over every replica that answered; none answered: unknown, not empty.
            reachable.Count == 0 ? null : reachable.Sum(replica => replica.View.QueueDepth ?? 0));
    }

    private static double? Milliseconds(double? seconds) => seconds * 1000;
}
