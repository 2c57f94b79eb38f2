using AiFactory.Evaluation.Labelled;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Validation;
using AiFactory.Optimization;
using AiFactory.Optimization.Transforms;
using AiFactory.Storage;
using OnnxFile = AiFactory.Optimization.Onnx.OnnxModelFile;

namespace AiFactory.Inference.Optimization;

/// <summary>
/// Runs a transform for the registry: fetches the parent from the object store (size and SHA-256 checked as it is
/// read), parses it, builds its calibration data and applies the transform. One transform at a time per replica
/// (they are CPU- and memory-heavy): a second waits for the first, bounded by its caller's timeout.
/// </summary>
public sealed class ModelOptimizer(CalibrationSource calibration, ILogger<ModelOptimizer> logger, IObjectStore? store = null)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>The new model and what was done, for the version's lineage.</summary>
    public sealed record Optimized(byte[] Bytes, IReadOnlyDictionary<string, object> Details, string Calibration);

    /// <exception cref="InferenceError">400 a malformed request; 422 the transform does not apply (the reason); 503 no object store.</exception>
    public async Task<Optimized> OptimizeAsync(OptimizeRequest request, CancellationToken cancellationToken)
    {
        if (store is null)
        {
            throw InferenceError.Unavailable("this replica has no object store to read models from (ConnectionStrings:storage)");
        }

        if (string.IsNullOrEmpty(request.Model))
        {
            throw InferenceError.InvalidArgument("'model' is required");
        }

        if (request.Calibration is not (OptimizeRequest.DefaultCalibration or OptimizeRequest.NoCalibration))
        {
            throw InferenceError.InvalidArgument($"'calibration' is '{request.Calibration}': {OptimizeRequest.DefaultCalibration} or {OptimizeRequest.NoCalibration}");
        }

        var parent = ModelValidator.Artifact(request.Parent, "parent");
        TransformRequest transform;
        try
        {
            transform = request.Transform is { } json ? TransformRequest.Parse(json) : throw new FormatException("'transform' is required");
        }
        catch (FormatException e)
        {
            throw InferenceError.InvalidArgument(e.Message);
        }

        var transformer = ModelTransforms.All.TryGetValue(transform.Transform, out var found) ? found
            : throw InferenceError.Unprocessable($"transform '{transform.Transform}' is not one a replica runs: {string.Join(", ", ModelTransforms.All.Keys.Order())}");

        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            using var folder = new WorkFolder("aifactory-optimize-", logger);
            var path = folder.File("parent.onnx");
            await DownloadAsync(parent, path, "the parent's artifact", cancellationToken);
            var uploaded = request.LabelledSet is { } set && CalibrationSource.Needed(transform.Transform, request.Calibration!)
                ? await ReadLabelledSetAsync(set, folder.File("labelled-set.json"), cancellationToken)
                : null;
            // ONNX Runtime's and the rewriting's work is synchronous and CPU-bound: off the request's thread.
            return await Task.Run(() =>
            {
                var bytes = File.ReadAllBytes(path);
                try
                {
                    var model = OnnxFile.Read(bytes);
                    var data = calibration.For(transform.Transform, request.Model, model, request.Calibration!, uploaded);
                    var result = transformer.Apply(new TransformInput(bytes, model, transform.Options, data));
                    return new Optimized(result.Bytes, result.Details, data.Source);
                }
                catch (TransformRefusedException e)
                {
                    throw InferenceError.Unprocessable(e.Message);
                }
            }, cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    // The parent's labelled set, read under the same limits as at upload; one it cannot use refuses the transform.
    private async Task<LabelledSet> ReadLabelledSetAsync(LabelledSetReference reference, string path, CancellationToken cancellationToken)
    {
        var artifact = ModelValidator.LabelledArtifact(reference);
        await DownloadAsync(artifact, path, "the version's labelled set", cancellationToken);
        try
        {
            await using var file = File.OpenRead(path);
            return await LabelledSetReader.ReadAsync(file, new LabelledSetLimits(), cancellationToken);
        }
        catch (LabelledSetException e)
        {
            throw InferenceError.Unprocessable($"the version's labelled set cannot be read for calibration: {e.Message}");
        }
    }

    private async Task DownloadAsync(StoredObject artifact, string path, string what, CancellationToken cancellationToken)
    {
        try
        {
            await store!.DownloadToFileAsync(artifact, path, cancellationToken);
        }
        catch (ObjectNotFoundException)
        {
            throw InferenceError.Unprocessable($"{what} '{artifact.Key}' is not in the object store");
        }
        catch (ArtifactIntegrityException e)
        {
            throw InferenceError.Unprocessable($"{what} is not what the registry recorded: {e.Message}");
        }
        catch (StorageUnavailableException e)
        {
            throw InferenceError.Unavailable($"the object store is unavailable: {e.Message}");
        }
    }
}
