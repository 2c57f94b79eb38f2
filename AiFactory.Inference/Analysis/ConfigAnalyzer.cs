using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Inference.Batching;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using AiFactory.Inference.Validation;
using AiFactory.Storage;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Inference.Analysis;

/// <summary>
/// The model analyzer: measures a version under each configuration of a <see cref="SweepPlan"/> with closed-loop
/// generated load (inputs as validation generates them, one item per request) and recommends by
/// <see cref="RecommendationRule"/>. Every configuration runs on a private instance of the model, loaded from the
/// artifact, never the one serving. One analysis at a time per replica: two would measure each other.
/// </summary>
public sealed class ConfigAnalyzer(SessionFactory sessions, InferenceMetrics metrics, ILogger<ConfigAnalyzer> logger, IObjectStore? store = null)
{
    /// <summary>The version label of the private instances in metrics and logs, apart from any version served.</summary>
    public const string InstanceLabel = "analysis";

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Analyzes a version from the object store.</summary>
    /// <exception cref="InferenceError">400 a malformed request (naming the field); 503 busy with another analysis, or no object store.</exception>
    public async Task<AnalysisResult> AnalyzeAsync(AnalysisRequest request, CancellationToken cancellationToken)
    {
        if (store is null)
        {
            throw InferenceError.Unavailable("this replica has no object store to read models from (ConnectionStrings:storage)");
        }

        var model = string.IsNullOrEmpty(request.Model) ? throw InferenceError.InvalidArgument("'model' is required") : request.Model;
        var artifact = request.Artifact is { StorageKey.Length: > 0, SizeBytes: > 0, Version: > 0 } given && ArtifactKeys.IsSha256(given.Sha256)
            ? given
            : throw InferenceError.InvalidArgument("'artifact' needs 'version' (positive), 'storage_key', 'sha256' (lower-case hex) and 'size_bytes' (positive)");
        var objective = Objective(request.Objective);
        var config = ConfigJson(artifact.Config);
        if (!_oneAtATime.Wait(0))
        {
            throw Busy();
        }

        try
        {
            using var folder = new WorkFolder("aifactory-analyze-", logger);
            var path = folder.File("model.onnx");
            await DownloadAsync(new StoredObject(artifact.StorageKey!, artifact.SizeBytes, artifact.Sha256!), path, cancellationToken);
            return await RunAsync(model, artifact.Version, path, config, objective, request.Sweep, request.SecondsPerPoint, request.Seed, cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Analyzes a model file on this machine (the benchmark's way in); one at a time as well.</summary>
    public async Task<AnalysisResult> AnalyzeFileAsync(string model, long version, string path, JsonObject config, LatencyObjective objective,
        SweepRanges? sweep, double? secondsPerPoint, CancellationToken cancellationToken)
    {
        if (!_oneAtATime.Wait(0))
        {
            throw Busy();
        }

        try
        {
            return await RunAsync(model, version, path, config, Objective(objective), sweep, secondsPerPoint, 42, cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<AnalysisResult> RunAsync(string name, long version, string path, JsonObject configJson, LatencyObjective objective,
        SweepRanges? sweep, double? secondsPerPoint, int seed, CancellationToken cancellationToken)
    {
        ModelConfig shipped;
        try
        {
            shipped = ModelConfig.Parse(configJson.ToJsonString(), "the version's config");
        }
        catch (ModelConfigException e)
        {
            throw InferenceError.InvalidArgument(e.Message);
        }

        var providers = Providers(path, shipped);
        var plan = SweepPlan.For(configJson, shipped, sweep, secondsPerPoint, [.. providers.Where(p => p.Available).Select(p => p.Name)]);
        logger.LogInformation("Analyzing model {Model} version {Version}: {Configurations} configurations × {Levels} concurrency levels, {Seconds} s a point",
            name, version, plan.Candidates.Count, plan.Concurrency.Count, plan.SecondsPerPoint);
        var rows = new List<AnalysisRow>();
        foreach (var candidate in plan.Candidates)
        {
            rows.AddRange(await MeasureAsync(name, path, candidate, plan, seed, cancellationToken));
        }

        var table = Judge(rows, objective);
        var chosen = RecommendationRule.Choose(table, objective);
        var winner = chosen is null ? null : plan.Candidates.First(candidate => candidate.Settings == chosen.Settings);
        var recommendation = winner is null ? null : new Recommendation(winner.ConfigJson, winner.Changes, chosen!);
        var notes = new List<string>();
        if (!providers.Any(provider => provider.Name == "cuda" && provider.Available))
        {
            notes.Add("CPU only: " + providers.First(provider => provider.Name == "cuda").Reason);
        }

        return new AnalysisResult(name, version, objective, plan.SecondsPerPoint, providers, table, [.. table.Where(row => row.Baseline)], recommendation,
            RecommendationRule.Answer(table, objective, chosen), notes);
    }

    /// <summary>Loads a private instance with the candidate's config and measures it at every concurrency level.</summary>
    private async Task<List<AnalysisRow>> MeasureAsync(string name, string path, SweepCandidate candidate, SweepPlan plan, int seed, CancellationToken cancellationToken)
    {
        var rows = new List<AnalysisRow>();
        var (model, problem) = candidate.Config is { } config ? await Task.Run(() => Load(name, path, config), cancellationToken) : (null, candidate.Problem);
        try
        {
            foreach (var concurrency in plan.Concurrency)
            {
                if (model is null)
                {
                    rows.Add(new AnalysisRow(candidate.Settings, candidate.Baseline, concurrency, 0, 0, 0, 0, 0, 0, false, problem));
                    continue;
                }

                var inputs = SampleInputs.Create(model.Inputs, 1, model.Config.MaxBatchSize > 0, new Random(seed));
                var work = new InferenceWork(inputs, [.. model.Outputs.Select(output => output.Name)], 1, null);
                var measured = await ClosedLoopLoad.RunAsync(model.Executor, work, concurrency, TimeSpan.FromSeconds(plan.SecondsPerPoint), cancellationToken);
                rows.Add(Row(candidate, concurrency, measured));
            }
        }
        finally
        {
            model?.Retire();
        }

        return rows;
    }

    private static AnalysisRow Row(SweepCandidate candidate, int concurrency, LoadMeasurement measured) =>
        new(candidate.Settings, candidate.Baseline, concurrency, measured.LatenciesMs.Length, measured.Failed, Round(measured.ThroughputPerSecond),
            Round(measured.Percentile(0.50)), Round(measured.Percentile(0.95)), Round(measured.Percentile(0.99)), false,
            measured.LatenciesMs.Length == 0 ? "no request was answered in the time given" : null);

    private (LoadedModel? Model, string? Problem) Load(string name, string path, ModelConfig config)
    {
        try
        {
            var model = new LoadedModel(name, InstanceLabel, sessions.Open(path, config, name, InstanceLabel), config, metrics, logger, TimeProvider.System);
            try
            {
                Warmup.Run(model);
                return (model, null);
            }
            catch
            {
                model.Retire();
                throw;
            }
        }
        catch (Exception e) when (e is OnnxRuntimeException or InvalidOperationException or NotSupportedException or InferenceError)
        {
            return (null, $"this configuration cannot load: {e.Message}");
        }
    }

    /// <summary>The CPU always; CUDA when a session on it opens here, else the reason it does not.</summary>
    private List<ProviderAvailability> Providers(string path, ModelConfig shipped)
    {
        var cpu = new ProviderAvailability("cpu", true, null);
        try
        {
            var (session, _) = sessions.Create(path, shipped with { ExecutionProvider = "cuda", CudaGraphs = false, TensorRt = null, SaveOptimizedModel = false });
            session.Dispose();
            return [cpu, new ProviderAvailability("cuda", true, null)];
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return [cpu, new ProviderAvailability("cuda", false, $"the CUDA execution provider does not load on this replica ({FirstLine(e.Message)})")];
        }
    }

    /// <summary>Stamps each row with whether it meets the objective (the rule's own test).</summary>
    internal static IReadOnlyList<AnalysisRow> Judge(IEnumerable<AnalysisRow> rows, LatencyObjective objective) =>
        [.. rows.Select(row => row with { MeetsObjective = RecommendationRule.Meets(row, objective) })];

    private static LatencyObjective Objective(LatencyObjective? objective) => objective switch
    {
        null => throw InferenceError.InvalidArgument("'objective' is required: {\"percentile\": 95 or 99, \"latency_ms\": a positive number}"),
        { Percentile: not (95 or 99) } => throw InferenceError.InvalidArgument($"'objective.percentile' must be 95 or 99, not {objective.Percentile}"),
        { LatencyMs: not (> 0 and <= 600_000) } => throw InferenceError.InvalidArgument(
            $"'objective.latency_ms' must be above 0 and at most 600000, not {objective.LatencyMs}"),
        _ => objective,
    };

    private static JsonObject ConfigJson(JsonElement? config) =>
        config is not { ValueKind: not JsonValueKind.Null } element ? []
        : JsonNode.Parse(element.GetRawText()) as JsonObject ?? throw InferenceError.InvalidArgument("'artifact.config' must be a JSON object");

    private async Task DownloadAsync(StoredObject artifact, string path, CancellationToken cancellationToken)
    {
        try
        {
            await store!.DownloadToFileAsync(artifact, path, cancellationToken);
        }
        catch (Exception e) when (e is ObjectNotFoundException or ArtifactIntegrityException)
        {
            throw InferenceError.InvalidArgument($"the artifact '{artifact.Key}' cannot be analyzed: {e.Message}");
        }
        catch (StorageUnavailableException e)
        {
            throw InferenceError.Unavailable($"the object store is unavailable: {e.Message}");
        }
    }

    private static InferenceError Busy() => InferenceError.Unavailable(
        "this replica is already running an analysis: one at a time, since each measures the machine; try again when it has finished");

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static double Round(double value) => Math.Round(value, 3);
}
