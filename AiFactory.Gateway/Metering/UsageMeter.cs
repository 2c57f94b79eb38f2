using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Metering;

/// <summary>One row of usage: requests of a key for a model version that ended with a status, in one minute.</summary>
public readonly record struct UsageKey(DateTime Minute, string KeyId, string Model, string Version, int Status);

/// <summary>
/// Rows written in one statement under one id. <see cref="MayBeWritten"/>: a write of this batch was cut off before
/// PostgreSQL answered, so it may have committed; it is written again under the same id, which PostgreSQL then ignores.
/// </summary>
public sealed record UsageBatch(Guid Id, IReadOnlyList<(UsageKey Key, long Requests)> Rows, bool MayBeWritten = false)
{
    public long Requests => Rows.Sum(row => row.Requests);
}

/// <summary>
/// Usage counted in memory, per minute, key, model, version and status, until <see cref="UsageFlushService"/> adds
/// it to PostgreSQL: a request costs an increment, not a database write. The rows held (the backlog) are bounded by
/// <see cref="UsageOptions.MaxBacklogRows"/>: <see cref="MeteringStep"/> refuses keyed requests while it is full.
/// </summary>
public sealed class UsageMeter
{
    private readonly ConcurrentDictionary<UsageKey, StrongBox<long>> _counts = new();
    private readonly ConcurrentQueue<UsageBatch> _unconfirmed = new();
    private readonly TimeProvider _time;
    private readonly IOptions<UsageOptions> _options;

    // Counted here because ConcurrentDictionary.Count takes every lock, too costly on every request.
    private int _rows;
    private int _unconfirmedRows;

    public UsageMeter(TimeProvider time, IOptions<UsageOptions> options, GatewayMetrics metrics)
    {
        _time = time;
        _options = options;
        metrics.ObserveUsageBacklog(() => BacklogRows, () => options.Value.MaxBacklogRows);
    }

    /// <summary>Rows held in memory: counters (written or not, until they age out) and batches of unknown outcome.</summary>
    public int BacklogRows => Volatile.Read(ref _rows) + Volatile.Read(ref _unconfirmedRows);

    public bool IsFull => BacklogRows >= _options.Value.MaxBacklogRows;

    /// <summary>
    /// Counts one request. The model and version come from the request path or from an upstream header: only names
    /// that pass <see cref="ModelName"/> become rows, anything else counts under <see cref="ModelName.InvalidBucket"/>,
    /// so every row is one PostgreSQL can store.
    /// </summary>
    public void Record(string keyId, string model, string version, int status)
    {
        (model, version) = ModelName.IsValid(model)
            ? (model, version.Length == 0 || ModelName.IsValidVersion(version) ? version : ModelName.InvalidBucket)
            : (ModelName.InvalidBucket, "");
        var now = _time.GetUtcNow().UtcDateTime;
        var minute = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        Interlocked.Increment(ref CounterOf(new UsageKey(minute, keyId, model, version, status)).Value);
    }

    /// <summary>
    /// What is to be written: the batches of unknown outcome, under their ids, then every count recorded since the
    /// last take in new batches of at most <see cref="UsageOptions.BatchRows"/> rows. Each counter is swapped to zero
    /// atomically, so a request recorded at the same moment lands in this take or the next, never in neither.
    /// </summary>
    public List<UsageBatch> Take()
    {
        var batches = new List<UsageBatch>();
        while (_unconfirmed.TryDequeue(out var batch))
        {
            Interlocked.Add(ref _unconfirmedRows, -batch.Rows.Count);
            batches.Add(batch);
        }

        var rows = new List<(UsageKey, long)>();
        var stale = _time.GetUtcNow().UtcDateTime - TimeSpan.FromMinutes(2);
        foreach (var (key, count) in _counts)
        {
            var requests = Interlocked.Exchange(ref count.Value, 0);
            if (requests > 0)
            {
                rows.Add((key, requests));
            }
            else if (key.Minute < stale && _counts.TryRemove(key, out _))
            {
                // New requests count in the current minute, so nothing adds to this counter any more.
                Interlocked.Decrement(ref _rows);
            }
        }

        batches.AddRange(rows.Chunk(_options.Value.BatchRows).Select(chunk => new UsageBatch(Guid.NewGuid(), chunk)));
        return batches;
    }

    /// <summary>Puts back the counts of a batch PostgreSQL has certainly not written, so the next take has them again.</summary>
    public void Return(UsageBatch batch)
    {
        foreach (var (key, requests) in batch.Rows)
        {
            Interlocked.Add(ref CounterOf(key).Value, requests);
        }
    }

    /// <summary>Keeps a batch whose write may have committed, to be written again under the same id.</summary>
    public void Keep(UsageBatch batch)
    {
        Interlocked.Add(ref _unconfirmedRows, batch.Rows.Count);
        _unconfirmed.Enqueue(batch with { MayBeWritten = true });
    }

    /// <summary>Requests counted and not yet written (for the log, when a gateway stops before it could write them).</summary>
    public long UnwrittenRequests => _counts.Values.Sum(count => Volatile.Read(ref count.Value)) + _unconfirmed.Sum(batch => batch.Requests);

    private StrongBox<long> CounterOf(UsageKey key)
    {
        if (_counts.TryGetValue(key, out var counter))
        {
            return counter;
        }

        var added = new StrongBox<long>();
        counter = _counts.GetOrAdd(key, added);
        if (ReferenceEquals(counter, added))
        {
            Interlocked.Increment(ref _rows);
        }

        return counter;
    }
}
