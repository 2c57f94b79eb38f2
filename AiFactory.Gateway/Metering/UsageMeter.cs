using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace AiFactory.Gateway.Metering;

/// <summary>One row of usage: requests of a key for a model version that ended with a status, in one minute.</summary>
public readonly record struct UsageKey(DateTime Minute, string KeyId, string Model, string Version, int Status);

/// <summary>
/// Usage counted in memory, per minute, key, model, version and status, until <see cref="UsageFlushService"/> adds
/// it to PostgreSQL: a request costs an increment, not a database write.
/// </summary>
public sealed class UsageMeter(TimeProvider time)
{
    private readonly ConcurrentDictionary<UsageKey, StrongBox<long>> _counts = new();

    public void Record(string keyId, string model, string version, int status)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var minute = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        var count = _counts.GetOrAdd(new UsageKey(minute, keyId, model, version, status), _ => new StrongBox<long>());
        Interlocked.Increment(ref count.Value);
    }

    /// <summary>
    /// Takes every count recorded so far. Each counter is swapped to zero atomically, so a request recorded at the
    /// same moment lands in this batch or the next, never in neither.
    /// </summary>
    public List<(UsageKey Key, long Requests)> Take()
    {
        var taken = new List<(UsageKey, long)>();
        var stale = time.GetUtcNow().UtcDateTime - TimeSpan.FromMinutes(2);
        foreach (var (key, count) in _counts)
        {
            var requests = Interlocked.Exchange(ref count.Value, 0);
            if (requests > 0)
            {
                taken.Add((key, requests));
            }
            else if (key.Minute < stale)
            {
                // New requests count in the current minute, so nothing adds to this counter any more.
                _counts.TryRemove(key, out _);
            }
        }

        return taken;
    }

    /// <summary>Puts back counts that could not be written, so the next flush tries them again.</summary>
    public void Return(IEnumerable<(UsageKey Key, long Requests)> counts)
    {
        foreach (var (key, requests) in counts)
        {
            Interlocked.Add(ref _counts.GetOrAdd(key, _ => new StrongBox<long>()).Value, requests);
        }
    }
}
