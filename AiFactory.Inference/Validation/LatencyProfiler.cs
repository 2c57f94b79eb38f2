using System.Diagnostics;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Validation;

/// <summary>
/// A short latency profile on the validation session (one intra-op thread: it shares the replica with serving): at each
/// batch size one warm run, then runs until <see cref="MaxRuns"/> or <see cref="TimePerSize"/> (at least
/// <see cref="MinRuns"/>), reporting p50, p95 and items per second, and the batch size it recommends.
/// </summary>
public static class LatencyProfiler
{
    public const int MinRuns = 3;
    public const int MaxRuns = 20;
    public static readonly TimeSpan TimePerSize = TimeSpan.FromMilliseconds(500);

    public const string Rule =
        "the smallest profiled batch size past which the next one adds less than 10 % items per second (0: the model cannot be batched)";

    /// <summary>
    /// The batch sizes worth profiling: for a batched config, 1, the powers of two up to max_batch_size, max_batch_size
    /// itself and the configured preferred and warmup sizes; for a model whose inputs all have a variable first
    /// dimension, powers of two up to 32; otherwise batch 1 alone.
    /// </summary>
    public static IReadOnlyList<int> BatchSizes(LoadedModel model, IReadOnlyList<TensorSpec> declaredInputs)
    {
        var config = model.Config;
        var limit = config.MaxBatchSize > 0 ? config.MaxBatchSize
            : declaredInputs.Count > 0 && declaredInputs.All(input => input.Shape is [< 0, ..]) ? 32 : 1;
        var sizes = new SortedSet<int> { 1, limit };
        for (var size = 2; size < limit; size *= 2)
        {
            sizes.Add(size);
        }

        foreach (var size in (config.DynamicBatching?.PreferredBatchSizes ?? []).Concat(config.Warmup))
        {
            sizes.Add(Math.Clamp(size, 1, limit));
        }

        return [.. sizes];
    }

    public static LatencyCheck Profile(LoadedModel model, IReadOnlyList<int> batchSizes, int seed)
    {
        var outputNames = model.Outputs.Select(output => output.Name).ToList();
        var profile = new List<LatencyPoint>();
        foreach (var batchSize in batchSizes)
        {
            var inputs = SampleInputs.Create(model.Inputs, batchSize, model.Config.MaxBatchSize > 0, new Random(seed));
            model.Run(inputs, outputNames);
            var durations = new List<double>();
            var started = Stopwatch.GetTimestamp();
            while (durations.Count < MinRuns || (durations.Count < MaxRuns && Stopwatch.GetElapsedTime(started) < TimePerSize))
            {
                var run = Stopwatch.GetTimestamp();
                model.Run(inputs, outputNames);
                durations.Add(Stopwatch.GetElapsedTime(run).TotalMilliseconds);
            }

            durations.Sort();
            var seconds = durations.Sum() / 1000;
            profile.Add(new LatencyPoint(batchSize, durations.Count, Round(Percentile(durations, 0.50)), Round(Percentile(durations, 0.95)),
                Round(batchSize * durations.Count / seconds)));
        }

        return new LatencyCheck(profile, Recommend(profile, model.Config.MaxBatchSize > 0 || batchSizes.Count > 1), Rule);
    }

    /// <summary>See <see cref="Rule"/>.</summary>
    public static int Recommend(IReadOnlyList<LatencyPoint> profile, bool batchable)
    {
        if (!batchable)
        {
            return 0;
        }

        for (var i = 0; i + 1 < profile.Count; i++)
        {
            if (profile[i + 1].ItemsPerSecond < 1.10 * profile[i].ItemsPerSecond)
            {
                return profile[i].BatchSize;
            }
        }

        return profile[^1].BatchSize;
    }

    // Nearest rank on sorted values.
    private static double Percentile(List<double> sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double Round(double value) => Math.Round(value, 3);
}
