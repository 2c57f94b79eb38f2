using System.Text.Json.Nodes;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;

namespace AiFactory.Inference.Analysis;

/// <summary>One configuration to measure: its settings, the config.json it is (the version's, patched) and what it changes.</summary>
public sealed record SweepCandidate(SweepSettings Settings, bool Baseline, JsonObject ConfigJson, JsonObject Changes, ModelConfig? Config, string? Problem);

/// <summary>
/// What an analysis measures: the version's own config (the baseline) and every combination of the swept values, each
/// at every concurrency level. Defaults: for a batched model max_batch_size 8 and 32 with max_queue_delay_us 1000; a
/// model without batching stays without (its config's <c>inputs</c> dims leave out the batch dimension only when
/// batched); instance_count 1 and 2; intra_op_threads 1 and one per core; the CPU, and CUDA where it loads;
/// concurrency 1 and 8. At most <see cref="MaxPoints"/> points and <see cref="MaxSweepSeconds"/> of measuring.
/// </summary>
public sealed class SweepPlan
{
    public const int MaxPoints = 24;
    public const double MaxSweepSeconds = 120;
    public const double DefaultSecondsPerPoint = 1;
    public const double MinSecondsPerPoint = 0.2;
    public const double MaxSecondsPerPoint = 10;
    private const int MaxValues = 8;

    private SweepPlan(IReadOnlyList<SweepCandidate> candidates, IReadOnlyList<int> concurrency, double secondsPerPoint)
    {
        Candidates = candidates;
        Concurrency = concurrency;
        SecondsPerPoint = secondsPerPoint;
    }

    /// <summary>The baseline first, then the swept configurations in order.</summary>
    public IReadOnlyList<SweepCandidate> Candidates { get; }

    public IReadOnlyList<int> Concurrency { get; }

    public double SecondsPerPoint { get; }

    public int Points => Candidates.Count * Concurrency.Count;

    /// <exception cref="InferenceError">400 naming the field: a value out of range, or a sweep past the bounds.</exception>
    public static SweepPlan For(JsonObject shippedJson, ModelConfig shipped, SweepRanges? ranges, double? secondsPerPoint, IReadOnlyList<string> availableProviders)
    {
        ranges ??= new SweepRanges();
        var batched = shipped.MaxBatchSize > 0;
        var maxBatchSizes = Values("sweep.max_batch_size", ranges.MaxBatchSize, batched ? [8, 32] : [0],
            size => batched ? size is >= 1 and <= 4096 : size == 0,
            batched ? "must be between 1 and 4096 for a batched model" : "must be 0: the version's config does not batch, and its 'inputs' dims say so");
        var delays = Values("sweep.max_queue_delay_us", ranges.MaxQueueDelayUs, [1000L], delay => delay is >= 0 and <= 1_000_000, "must be between 0 and 1000000");
        var instances = Values("sweep.instance_count", ranges.InstanceCount, [1, 2], count => count is >= 1 and <= 16, "must be between 1 and 16");
        var threads = Values("sweep.intra_op_threads", ranges.IntraOpThreads, [1, Environment.ProcessorCount], count => count is >= 0 and <= 256,
            "must be between 0 (one per core) and 256");
        var providers = Values("sweep.execution_provider", ranges.ExecutionProvider, [.. availableProviders], name => name is "cpu" or "cuda",
            "must be 'cpu' or 'cuda'");
        var concurrency = Values("sweep.concurrency", ranges.Concurrency, [1, 8], level => level is >= 1 and <= 256, "must be between 1 and 256");
        var seconds = secondsPerPoint ?? DefaultSecondsPerPoint;
        if (seconds is < MinSecondsPerPoint or > MaxSecondsPerPoint || double.IsNaN(seconds))
        {
            throw InferenceError.InvalidArgument($"'seconds_per_point' must be between {MinSecondsPerPoint} and {MaxSecondsPerPoint}, not {seconds}");
        }

        // "auto" is measured as what it resolves to here, so the same settings are not measured twice.
        var baseline = SettingsOf(shipped, availableProviders.Contains("cuda") ? "cuda" : "cpu");
        var candidates = new List<SweepCandidate> { new(baseline, true, shippedJson, [], shipped, null) };
        foreach (var provider in providers)
        foreach (var size in maxBatchSizes)
        foreach (var delay in batched ? delays.Select(d => (long?)d) : [null])
        foreach (var count in instances)
        foreach (var thread in threads)
        {
            var settings = new SweepSettings(size, delay, count, thread, provider);
            if (candidates.All(candidate => candidate.Settings != settings))
            {
                candidates.Add(Candidate(shippedJson, baseline, settings));
            }
        }

        var points = candidates.Count * concurrency.Length;
        if (points > MaxPoints || points * seconds > MaxSweepSeconds)
        {
            throw InferenceError.InvalidArgument(
                $"'sweep' makes {points} points ({candidates.Count} configurations, the version's own included, × {concurrency.Length} concurrency levels) "
                + $"of {seconds} s: at most {MaxPoints} points and {MaxSweepSeconds} s of measuring; narrow 'sweep' or shorten 'seconds_per_point'");
        }

        return new SweepPlan(candidates, concurrency, seconds);
    }

    /// <summary>The swept settings of a config as it stands; instance_count 0 means as many as arrive (no batching, no limit).</summary>
    public static SweepSettings SettingsOf(ModelConfig config, string autoResolvesTo) =>
        new(config.MaxBatchSize, config.BatchingEnabled ? config.DynamicBatching!.MaxQueueDelayUs : null,
            config.InstanceCount ?? (config.BatchingEnabled ? 1 : 0), config.IntraOpThreads,
            config.Provider == ExecutionProvider.Auto ? autoResolvesTo : config.ExecutionProvider.ToLowerInvariant());

    /// <summary>
    /// The version's config.json with <paramref name="settings"/> applied, and only what else they force: batch sizes
    /// listed elsewhere (warmup, preferred, padded) kept to the new max_batch_size, and GPU-only settings dropped on the CPU.
    /// </summary>
    private static SweepCandidate Candidate(JsonObject shippedJson, SweepSettings baseline, SweepSettings settings)
    {
        var json = (JsonObject)shippedJson.DeepClone();
        var changes = new JsonObject();
        Set(json, changes, "max_batch_size", settings.MaxBatchSize, baseline.MaxBatchSize);
        if (settings.MaxQueueDelayUs is { } delay)
        {
            var batching = json["dynamic_batching"] as JsonObject ?? [];
            json["dynamic_batching"] = batching;
            if (delay != baseline.MaxQueueDelayUs)
            {
                changes["dynamic_batching.max_queue_delay_us"] = delay;
            }

            batching["max_queue_delay_us"] = delay;
            KeepWithin(batching, "preferred_batch_sizes", settings.MaxBatchSize);
            if (batching["padded_batch_sizes"] is JsonArray { Count: > 0 } padded && padded[^1]?.GetValue<int>() != settings.MaxBatchSize)
            {
                // Padded sizes must end with max_batch_size; the provider's default pads correctly.
                batching.Remove("padded_batch_sizes");
            }

            KeepWithin(json, "warmup", settings.MaxBatchSize);
        }

        Set(json, changes, "instance_count", settings.InstanceCount, baseline.InstanceCount);
        Set(json, changes, "intra_op_threads", settings.IntraOpThreads, baseline.IntraOpThreads);
        if (settings.ExecutionProvider != baseline.ExecutionProvider)
        {
            changes["execution_provider"] = settings.ExecutionProvider;
            json["execution_provider"] = settings.ExecutionProvider;
        }

        if (json["execution_provider"]?.GetValue<string>() == "cpu")
        {
            json.Remove("cuda_graphs");
            json.Remove("tensorrt");
        }

        try
        {
            return new SweepCandidate(settings, false, json, changes, ModelConfig.Parse(json.ToJsonString(), "the analyzed config"), null);
        }
        catch (ModelConfigException e)
        {
            return new SweepCandidate(settings, false, json, changes, null, e.Message);
        }
    }

    private static void Set(JsonObject json, JsonObject changes, string field, int value, int shipped)
    {
        json[field] = value;
        if (value != shipped)
        {
            changes[field] = value;
        }
    }

    private static void KeepWithin(JsonObject json, string field, int maxBatchSize)
    {
        if (json[field] is JsonArray sizes)
        {
            json[field] = new JsonArray([.. sizes.Select(size => size!.GetValue<int>()).Where(size => size <= maxBatchSize).Select(size => (JsonNode?)size)]);
        }
    }

    private static T[] Values<T>(string field, T[]? given, T[] defaults, Func<T, bool> valid, string rule)
    {
        if (given is null)
        {
            return [.. defaults.Distinct()];
        }

        if (given.Length is 0 or > MaxValues)
        {
            throw InferenceError.InvalidArgument($"'{field}' must list 1 to {MaxValues} values");
        }

        foreach (var value in given)
        {
            if (!valid(value))
            {
                throw InferenceError.InvalidArgument($"'{field}' has {value}, which {rule}");
            }
        }

        return [.. given.Distinct()];
    }
}
