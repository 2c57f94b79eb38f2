using System.Collections.Concurrent;
using AiFactory.Gateway.Overview;
using AiFactory.Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Canary;

/// <summary>
/// Per model and version, what this gateway's traffic split routed, as a time series the console charts side by side
/// while a canary runs: requests the split sent each version (cache hits left out, as the automatic rollback leaves
/// them out) are counted as they end, and every <see cref="OverviewOptions.SampleInterval"/> the counts become one
/// <see cref="CanarySample"/> per model. Memory is bounded by the policies in force: only models with one keep a series,
/// each of <see cref="OverviewOptions.Capacity"/> samples over the versions that had traffic or weight.
/// </summary>
public sealed class CanarySeries(IOptions<OverviewOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Model, int Version), TrafficWindow> _current = new();
    private readonly ConcurrentDictionary<string, Queue<CanarySample>> _series = new();

    /// <summary>One request the split sent to <paramref name="version"/>, ended after <paramref name="duration"/>.</summary>
    public void Record(string model, int version, bool serverError, TimeSpan duration) =>
        // The overview's window counts 5xx as server errors: a gRPC failure is one whatever its HTTP status.
        _current.GetOrAdd((model, version), _ => new TrafficWindow())
            .Request(serverError ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK, duration.TotalSeconds);

    /// <summary>
    /// Closes the interval: one sample per model with a policy in force, over the versions it weighs and those that
    /// had traffic; the series of models without a policy are dropped.
    /// </summary>
    public void Sample(IEnumerable<TrafficPolicy> inForce)
    {
        var at = time.GetUtcNow();
        var interval = options.Value.SampleInterval;
        var policies = inForce.ToDictionary(policy => policy.Model);
        foreach (var key in _current.Keys)
        {
            if (!policies.ContainsKey(key.Model))
            {
                _current.TryRemove(key, out _);
            }
        }

        foreach (var model in _series.Keys)
        {
            if (!policies.ContainsKey(model))
            {
                _series.TryRemove(model, out _);
            }
        }

        foreach (var policy in policies.Values)
        {
            var versions = new SortedSet<int>(policy.Weights.Select(weight => weight.Version));
            versions.UnionWith(_current.Keys.Where(key => key.Model == policy.Model).Select(key => key.Version));
            var sample = new CanarySample(at, [.. versions.Select(version => Take(policy, version, interval))]);
            var series = _series.GetOrAdd(policy.Model, _ => new Queue<CanarySample>());
            lock (series)
            {
                series.Enqueue(sample);
                while (series.Count > options.Value.Capacity)
                {
                    series.Dequeue();
                }
            }
        }
    }

    /// <summary>The model's samples within <see cref="OverviewOptions.Window"/> before now, oldest first.</summary>
    public IReadOnlyList<CanarySample> Recent(string model)
    {
        if (!_series.TryGetValue(model, out var series))
        {
            return [];
        }

        var since = time.GetUtcNow() - options.Value.Window;
        lock (series)
        {
            return [.. series.Where(sample => sample.At > since)];
        }
    }

    private VersionSample Take(TrafficPolicy policy, int version, TimeSpan interval)
    {
        var counts = _current.TryGetValue((policy.Model, version), out var window) ? window.Take() : new TrafficWindow.Counts();
        if (counts.Requests == 0 && policy.Weights.All(weight => weight.Version != version))
        {
            // Out of the policy and idle: its slot goes (a request racing this removal is the only one ever lost).
            _current.TryRemove((policy.Model, version), out _);
        }

        return new VersionSample(version, counts.Requests, counts.ServerErrors, counts.Requests / interval.TotalSeconds,
            counts.Requests == 0 ? null : (double)counts.ServerErrors / counts.Requests,
            counts.Latency.Percentile(0.50) * 1000, counts.Latency.Percentile(0.95) * 1000);
    }
}
