using System.Diagnostics;
using AiFactory.Evaluation.Labelled;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using AiFactory.Storage;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Inference.Validation;

/// <summary>
/// Validates a model version for the registry: downloads it (and the version taking traffic, the reference) from the
/// object store into a temporary folder, hash-checked; checks its config and that it is an ONNX model; loads it in
/// ONNX Runtime on the CPU; reads its signature and compares it with the reference's; runs it on seeded inputs
/// (no NaN/Inf allowed), measures its drift from the reference on the same inputs and profiles its latency; then
/// the task metrics of an OCR sample model and the scores of the version's own labelled set, for candidate and reference.
/// One validation at a time per replica, on one intra-op thread, so serving keeps the rest of the machine.
/// </summary>
public sealed class ModelValidator(
    SessionFactory sessions, InferenceMetrics metrics, TaskMetricsMeter taskMetrics, ILogger<ModelValidator> logger, IObjectStore? store = null)
{
    /// <summary>Seeded inputs the smoke run and the drift comparison use, one item each.</summary>
    public const int Samples = 8;

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <exception cref="InferenceException">400 for a malformed request; 503 when the object store cannot be reached (try again later).</exception>
    public async Task<ValidationReport> ValidateAsync(ValidationRequest request, CancellationToken cancellationToken)
    {
        if (store is null)
        {
            throw InferenceError.Unavailable("this replica has no object store to read models from (ConnectionStrings:storage)");
        }

        if (string.IsNullOrEmpty(request.Model))
        {
            throw InferenceError.InvalidArgument("'model' is required");
        }

        var candidate = Artifact(request.Candidate, "candidate");
        var reference = request.Reference is null ? null : Artifact(request.Reference, "reference");
        var labelled = request.LabelledSet is null ? null : LabelledArtifact(request.LabelledSet);
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            using var folder = new WorkFolder("aifactory-validate-", logger);
            var candidatePath = folder.File("candidate.onnx");
            if (await DownloadAsync(candidate, candidatePath, cancellationToken) is { } unreadable)
            {
                return Refused(unreadable, new ConfigCheck(true, null));
            }

            string? referencePath = null;
            string? referenceProblem = null;
            if (reference is not null)
            {
                referencePath = folder.File("reference.onnx");
                referenceProblem = await DownloadAsync(reference, referencePath, cancellationToken);
            }

            var labelledSet = labelled is null ? null : await ReadLabelledSetAsync(labelled, folder.File("labelled-set.json"), cancellationToken);

            // ONNX Runtime's work is synchronous and CPU-bound: off the request's thread.
            return await Task.Run(() => Validate(request, candidatePath, referenceProblem is null ? referencePath : null, referenceProblem, labelledSet), cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private ValidationReport Validate(ValidationRequest request, string candidatePath, string? referencePath, string? referenceProblem, LabelledSetRead? labelledSet)
    {
        var problems = new List<string>();
        var (config, configCheck) = ReadConfig(request.Candidate!.Config);
        if (!configCheck.Ok)
        {
            problems.Add(configCheck.Error!);
        }

        OnnxModelFile file;
        try
        {
            file = OnnxModelFile.Read(candidatePath);
        }
        catch (ModelFileException e)
        {
            return Refused(e.Message, configCheck);
        }

        var started = Stopwatch.GetTimestamp();
        var (model, session, declared, loadProblem) = Load(request.Model!, request.Version, candidatePath, config);
        if (model is null)
        {
            return Refused(loadProblem!, configCheck);
        }

        var loadCheck = new LoadCheck(true, SessionFactory.CpuProvider, file.Opset, file.Producer, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        LoadedModel? referenceModel = null;
        InferenceSession? referenceSession = null;
        try
        {
            SignatureCheck signature;
            if (referencePath is not null)
            {
                var (referenceConfig, _) = ReadConfig(request.Reference!.Config);
                (referenceModel, referenceSession, var referenceDeclared, referenceProblem) = Load(request.Model!, request.Reference.Version, referencePath, referenceConfig);
                signature = referenceModel is null
                    ? Incompatible(declared, request.Reference.Version, referenceProblem!)
                    : Signature(declared, request.Reference.Version, referenceDeclared);
            }
            else
            {
                signature = request.Reference is { } unread
                    ? Incompatible(declared, unread.Version, referenceProblem!)
                    : new SignatureCheck(declared.Inputs, declared.Outputs, null, true, []);
            }

            problems.AddRange(signature.Changes);
            var (smoke, drift, runProblems) = SmokeAndDrift(model, signature.Compatible ? referenceModel : null, request.Reference?.Version, request.Seed);
            problems.AddRange(runProblems);
            var latency = smoke.Ok ? LatencyProfiler.Profile(model, LatencyProfiler.BatchSizes(model, declared.Inputs), request.Seed) : null;
            var passed = configCheck.Ok && smoke.Ok;
            // Accuracy is compared only with a reference whose signature the candidate shares, as drift is.
            var comparable = signature.Compatible ? referenceSession : null;
            var task = smoke.Ok ? taskMetrics.Measure(request.Model!, session!, comparable, request.Reference?.Version, problems) : null;
            var labelled = labelledSet switch
            {
                null => null,
                { Set: null } => new LabelledSetCheck(labelledSet.Sha256, null, null, 0, null, null, null, labelledSet.Problem),
                _ => LabelledSetScorer.Score(labelledSet.Sha256, labelledSet.Set, session!, comparable, request.Reference?.Version, problems),
            };
            if (labelledSet?.Problem is { } unreadable)
            {
                problems.Add($"the labelled set cannot be read: {unreadable}");
            }

            return new ValidationReport(passed, problems, loadCheck, signature, smoke, drift, latency, configCheck, task, labelled);
        }
        finally
        {
            model.Retire();
            referenceModel?.Retire();
        }
    }

    /// <summary>Runs the seeded samples: non-finite outputs fail the smoke check; the reference, when given, runs them too.</summary>
    private static (SmokeCheck Smoke, DriftCheck? Drift, List<string> Problems) SmokeAndDrift(LoadedModel model, LoadedModel? reference, long? referenceVersion, int seed)
    {
        var outputNames = model.Outputs.Select(output => output.Name).ToList();
        var nonFinite = new NonFiniteCounter();
        var drift = new DriftMeter();
        var batched = model.Config.MaxBatchSize > 0;
        var referenceFailure = (string?)null;
        for (var sample = 0; sample < Samples; sample++)
        {
            var inputs = SampleInputs.Create(model.Inputs, 1, batched, new Random(seed + sample));
            IReadOnlyList<Tensor> outputs;
            try
            {
                outputs = model.Run(inputs, outputNames);
            }
            catch (InferenceError e)
            {
                return (new SmokeCheck(false, sample, nonFinite.Total), null, [$"the model fails on the smoke inputs: {e.Message}"]);
            }

            nonFinite.Add(outputs);
            if (reference is not null && referenceFailure is null)
            {
                try
                {
                    drift.Add(outputs, reference.Run(inputs, [.. reference.Outputs.Select(output => output.Name)]));
                }
                catch (InferenceError e)
                {
                    referenceFailure = $"drift could not be measured: the reference fails on the candidate's inputs: {e.Message}";
                }
            }
        }

        var problems = nonFinite.Problems().ToList();
        if (referenceFailure is not null)
        {
            problems.Add(referenceFailure);
        }

        var driftCheck = reference is not null && referenceFailure is null ? drift.Result(referenceVersion!.Value, Samples) : null;
        return (new SmokeCheck(nonFinite.Total == 0, Samples, nonFinite.Total), driftCheck, problems);
    }

    /// <summary>
    /// Opens the file on the CPU with one intra-op thread and without batching or warmup (the validation runs it
    /// directly); the signature is the file's own, before config.json's dims narrow it.
    /// </summary>
    private (LoadedModel? Model, InferenceSession? Session, (List<TensorSpec> Inputs, List<TensorSpec> Outputs) Declared, string? Problem) Load(
        string name, long version, string path, ModelConfig config)
    {
        var validationConfig = config with
        {
            ExecutionProvider = "cpu", IntraOpThreads = 1, InterOpThreads = 1, AllowSpinning = false, SaveOptimizedModel = false,
            DynamicBatching = null, InstanceCount = null, Warmup = [],
        };
        InferenceSession session;
        try
        {
            (session, _) = sessions.Create(path, validationConfig);
        }
        catch (OnnxRuntimeException e)
        {
            return (null, null, ([], []), $"ONNX Runtime cannot load the model: {e.Message}");
        }

        try
        {
            var declared = (Describe(session.InputMetadata), Describe(session.OutputMetadata));
            return (new LoadedModel(name, version.ToString(), session, SessionFactory.CpuProvider, validationConfig, metrics, logger), session, declared, null);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            session.Dispose();
            return (null, null, ([], []), $"the model cannot be served: {e.Message}");
        }
    }

    private static List<TensorSpec> Describe(IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        [.. metadata.Select(node => new TensorSpec(node.Key, Datatypes.FromOnnx(node.Value.ElementDataType), [.. node.Value.Dimensions.Select(d => (long)d)]))];

    private static SignatureCheck Signature((List<TensorSpec> Inputs, List<TensorSpec> Outputs) declared, long referenceVersion,
        (List<TensorSpec> Inputs, List<TensorSpec> Outputs) reference)
    {
        var changes = SignatureComparer.Changes(declared.Inputs, declared.Outputs, reference.Inputs, reference.Outputs);
        return new SignatureCheck(declared.Inputs, declared.Outputs, referenceVersion, changes.Count == 0, changes);
    }

    // A reference that cannot be read or loaded cannot vouch for the candidate: traffic then needs force.
    private static SignatureCheck Incompatible((List<TensorSpec> Inputs, List<TensorSpec> Outputs) declared, long referenceVersion, string problem) =>
        new(declared.Inputs, declared.Outputs, referenceVersion, false, [$"the signature could not be compared with version {referenceVersion}: {problem}"]);

    private static (ModelConfig Config, ConfigCheck Check) ReadConfig(System.Text.Json.JsonElement? json)
    {
        if (json is not { ValueKind: not System.Text.Json.JsonValueKind.Null } element)
        {
            return (ModelConfig.Default, new ConfigCheck(true, null));
        }

        try
        {
            return (ModelConfig.Parse(element.GetRawText(), "config"), new ConfigCheck(true, null));
        }
        catch (ModelConfigException e)
        {
            return (ModelConfig.Default, new ConfigCheck(false, e.Message));
        }
    }

    /// <summary>Downloads and verifies; a missing or corrupt artifact is returned as the problem (no retry cures it).</summary>
    private async Task<string?> DownloadAsync(StoredObject artifact, string path, CancellationToken cancellationToken)
    {
        try
        {
            await store!.DownloadToFileAsync(artifact, path, cancellationToken);
            return null;
        }
        catch (ObjectNotFoundException)
        {
            return $"the artifact '{artifact.Key}' is not in the object store";
        }
        catch (ArtifactIntegrityException e)
        {
            return e.Message;
        }
        catch (StorageUnavailableException e)
        {
            throw InferenceError.Unavailable($"the object store is unavailable: {e.Message}");
        }
    }

    /// <summary>The labelled set as read for this validation: the set, or why it could not be read.</summary>
    private sealed record LabelledSetRead(string Sha256, LabelledSet? Set, string? Problem);

    /// <summary>Downloads (hash-checked) and reads the set; what is wrong with it becomes the report's problem, not a failed validation.</summary>
    private async Task<LabelledSetRead> ReadLabelledSetAsync(StoredObject artifact, string path, CancellationToken cancellationToken)
    {
        if (await DownloadAsync(artifact, path, cancellationToken) is { } unreadable)
        {
            return new LabelledSetRead(artifact.Sha256, null, unreadable);
        }

        try
        {
            await using var file = File.OpenRead(path);
            return new LabelledSetRead(artifact.Sha256, await LabelledSetReader.ReadAsync(file, new LabelledSetLimits(), cancellationToken), null);
        }
        catch (LabelledSetException e)
        {
            return new LabelledSetRead(artifact.Sha256, null, e.Message);
        }
    }

    /// <summary>The labelled set a request names, checked for what fetching it needs (the store checks size and SHA-256 as it reads).</summary>
    internal static StoredObject LabelledArtifact(LabelledSetReference set) =>
        string.IsNullOrEmpty(set.StorageKey) || !ArtifactKeys.IsSha256(set.Sha256) || set.SizeBytes <= 0
            ? throw InferenceError.InvalidArgument("'labelled_set' needs 'storage_key', 'sha256' (lower-case hex) and 'size_bytes' (positive)")
            : new StoredObject(set.StorageKey, set.SizeBytes, set.Sha256!);

    private static ValidationReport Refused(string problem, ConfigCheck config) =>
        new(false, config.Ok ? [problem] : [problem, config.Error!], new LoadCheck(false, null, null, null, null), null, null, null, null, config);

    /// <summary>The artifact a request names, checked for what fetching it needs (the store checks size and SHA-256 as it reads).</summary>
    internal static StoredObject Artifact(ArtifactReference? artifact, string field)
    {
        if (artifact is null || string.IsNullOrEmpty(artifact.StorageKey) || !ArtifactKeys.IsSha256(artifact.Sha256) || artifact.SizeBytes <= 0 || artifact.Version <= 0)
        {
            throw InferenceError.InvalidArgument($"'{field}' needs 'version' (positive), 'storage_key', 'sha256' (lower-case hex) and 'size_bytes' (positive)");
        }

        return new StoredObject(artifact.StorageKey, artifact.SizeBytes, artifact.Sha256!);
    }
}
