namespace AiFactory.Gateway.Overview;

/// <summary>
/// The gateway's own traffic since the last sample: requests, server errors, response-cache lookups and a latency
/// histogram. Recorded on every request, taken (and started afresh) once per sample.
/// </summary>
public sealed class TrafficWindow
{
    private readonly Lock _lock = new();
    private Counts _counts = new();

    /// <summary>One request answered with <paramref name="status"/> after <paramref name="seconds"/>.</summary>
    public void Request(int status, double seconds)
    {
        lock (_lock)
        {
            _counts.Requests++;
            // 499 (the client went away) is no fault of ours; 5xx is, and is what an operator is paged for.
            if (status >= 500)
            {
                _counts.ServerErrors++;
            }

            _counts.Latency.Record(seconds);
        }
    }

    /// <summary>One response-cache lookup; <paramref name="hit"/> when it was answered from the cache.</summary>
    public void CacheLookup(bool hit)
    {
        lock (_lock)
        {
            _counts.CacheLookups++;
            if (hit)
            {
                _counts.CacheHits++;
            }
        }
    }

    /// <summary>What was recorded since the last call; recording goes on into a fresh window.</summary>
    public Counts Take()
    {
        lock (_lock)
        {
            var taken = _counts;
            _counts = new Counts();
            return taken;
        }
    }

    public sealed class Counts
    {
        public long Requests { get; set; }
        public long ServerErrors { get; set; }
        public long CacheLookups { get; set; }
        public long CacheHits { get; set; }
        public LatencyHistogram Latency { get; } = new();
    }
}
