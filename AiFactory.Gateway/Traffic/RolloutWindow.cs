using System.Collections.Concurrent;

namespace AiFactory.Gateway.Traffic;

/// <summary>What one version did over the window: requests, server errors, and the 95th percentile latency.</summary>
public sealed record VersionFigures(int Version, long Requests, long Errors, double P95Seconds)
{
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;
}

/// <summary>
/// What each version did with the requests the traffic split sent it under one policy, over a sliding window (in
/// <see cref="Slices"/> slices, so old requests drop out in steps of a twelfth of the window). Latencies go into
/// logarithmic buckets 5 % apart, so a percentile is known to within 5 % whatever the count, in fixed memory.
/// </summary>
public sealed class RolloutWindow(TimeProvider time, Microsoft.Extensions.Options.IOptions<AutoRollbackOptions> options)
{
    public const int Slices = 12;

    private const double SmallestSeconds = 0.0001;
    private const double Growth = 1.05;
    // 0.1 ms × 1.05^400 ≈ 30 min: every latency a request can have.
    private const int Buckets = 400;

    private readonly ConcurrentDictionary<(string Model, long PolicyId, int Version), VersionWindow> _windows = new();

    /// <summary>Counts one request the split sent to <paramref name="version"/> under policy <paramref name="policyId"/>.</summary>
    public void Record(string model, long policyId, int version, bool serverError, TimeSpan duration) =>
        _windows.GetOrAdd((model, policyId, version), _ => new VersionWindow())
            .Record(time.GetUtcNow(), options.Value.Window, serverError, duration.TotalSeconds);

    /// <summary>What <paramref name="version"/> did under policy <paramref name="policyId"/> over the last <see cref="AutoRollbackOptions.Window"/>.</summary>
    public VersionFigures Figures(string model, long policyId, int version) =>
        _windows.TryGetValue((model, policyId, version), out var counts)
            ? counts.Figures(version, time.GetUtcNow(), options.Value.Window)
            : new VersionFigures(version, 0, 0, 0);

    /// <summary>Forgets the windows of policies no longer in force (<paramref name="inForce"/>: model → policy id).</summary>
    public void Prune(IReadOnlyDictionary<string, long> inForce)
    {
        foreach (var key in _windows.Keys)
        {
            if (!inForce.TryGetValue(key.Model, out var policyId) || policyId != key.PolicyId)
            {
                _windows.TryRemove(key, out _);
            }
        }
    }

    private static int BucketOf(double seconds) =>
        seconds <= SmallestSeconds ? 0 : Math.Min(Buckets - 1, (int)Math.Ceiling(Math.Log(seconds / SmallestSeconds, Growth)));

    private static double UpperBoundOf(int bucket) => SmallestSeconds * Math.Pow(Growth, bucket);

    private sealed class VersionWindow
    {
        private readonly long[] _sliceStarts = new long[Slices];
        private readonly long[] _requests = new long[Slices];
        private readonly long[] _errors = new long[Slices];
        private readonly long[,] _latencies = new long[Slices, Buckets];

        public void Record(DateTimeOffset now, TimeSpan window, bool serverError, double seconds)
        {
            lock (this)
            {
                var slice = SliceOf(now, window);
                _requests[slice]++;
                _errors[slice] += serverError ? 1 : 0;
                _latencies[slice, BucketOf(seconds)]++;
            }
        }

        public VersionFigures Figures(int version, DateTimeOffset now, TimeSpan window)
        {
            var sliceTicks = window.Ticks / Slices;
            var oldest = now.UtcTicks / sliceTicks - (Slices - 1);
            long requests = 0, errors = 0;
            var latencies = new long[Buckets];
            lock (this)
            {
                for (var slice = 0; slice < Slices; slice++)
                {
                    if (_sliceStarts[slice] < oldest)
                    {
                        continue;
                    }

                    requests += _requests[slice];
                    errors += _errors[slice];
                    for (var bucket = 0; bucket < Buckets; bucket++)
                    {
                        latencies[bucket] += _latencies[slice, bucket];
                    }
                }
            }

            return new VersionFigures(version, requests, errors, Percentile(latencies, requests, 0.95));
        }

        /// <summary>The slice now falls in, emptied first when it last held an older period.</summary>
        private int SliceOf(DateTimeOffset now, TimeSpan window)
        {
            var period = now.UtcTicks / (window.Ticks / Slices);
            var slice = (int)(period % Slices);
            if (_sliceStarts[slice] != period)
            {
                _sliceStarts[slice] = period;
                _requests[slice] = 0;
                _errors[slice] = 0;
                for (var bucket = 0; bucket < Buckets; bucket++)
                {
                    _latencies[slice, bucket] = 0;
                }
            }

            return slice;
        }

        private static double Percentile(long[] latencies, long count, double quantile)
        {
            if (count == 0)
            {
                return 0;
            }

            var rank = (long)Math.Ceiling(quantile * count);
            long seen = 0;
            for (var bucket = 0; bucket < Buckets; bucket++)
            {
                seen += latencies[bucket];
                if (seen >= rank)
                {
                    return UpperBoundOf(bucket);
                }
            }

            return UpperBoundOf(Buckets - 1);
        }
    }
}
