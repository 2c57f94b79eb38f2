using System.Diagnostics;
using AiFactory.Inference.Batching;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Protocol;

/// <summary>
/// The protocol-independent core of an inference: finds the model, checks the call's inputs against it, decodes
/// them, runs them through the model's executor and keeps statistics. The REST and gRPC codecs build the
/// <see cref="InferenceCall"/> and encode the <see cref="InferenceResult"/>; refusals are <see cref="InferenceError"/>s.
/// </summary>
public sealed class InferenceService(ModelRepository repository, IOptions<InferenceOptions> options)
{
    public InferenceOptions Options => options.Value;

    /// <summary>The ready model a request names; NotFound for an unknown model or version, Unavailable for one not ready.</summary>
    public LoadedModel ResolveReady(string name, string? version)
    {
        var entry = Resolve(name, version);
        return entry.IsReady
            ? entry.Model!
            : throw InferenceError.Unavailable(
                $"model '{name}' version {entry.Version} is not ready ({entry.State}{(entry.Reason.Length > 0 ? ": " + entry.Reason : "")})");
    }

    /// <summary>The entry a request names, ready or not; NotFound when there is none.</summary>
    public ModelVersionEntry Resolve(string name, string? version)
    {
        var lookup = repository.Find(name, version);
        return lookup.Entry ?? throw InferenceError.NotFound(lookup.Error);
    }

    /// <summary>
    /// Runs one call on the model it names. The model is leased for the whole call, so a version swapped out
    /// meanwhile finishes this call before it is freed.
    /// </summary>
    public async Task<InferenceResult> InferAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        var model = Acquire(call.Model, call.Version);
        var started = Stopwatch.GetTimestamp();
        Activity.Current?.SetTag(TraceTags.ModelName, model.Name);
        Activity.Current?.SetTag(TraceTags.ModelVersion, model.Version);
        try
        {
            var work = Prepare(model, call);
            var outputs = await model.Executor.ExecuteAsync(work, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            model.Statistics.Success.Add(elapsed.Ticks * 100);
            model.Metrics.RecordRequest(model.Name, model.Version, "success", elapsed.TotalSeconds);
            return new InferenceResult(model.Name, model.Version, outputs);
        }
        catch (Exception e)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            model.Statistics.Fail.Add(elapsed.Ticks * 100);
            model.Metrics.RecordRequest(model.Name, model.Version, Outcome(e), elapsed.TotalSeconds);
            throw;
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>
    /// Checks each input against the model's metadata (before any of its data is decoded), decodes it, puts the
    /// inputs in the model's order, checks none is missing or repeated, and resolves the outputs and the batch size.
    /// </summary>
    private InferenceWork Prepare(LoadedModel model, InferenceCall call)
    {
        var ordered = new Tensor[model.Inputs.Count];
        foreach (var input in call.Inputs)
        {
            var spec = FindInput(model, input.Name);
            var count = InputValidator.ValidateShape(spec, input.Datatype, input.Shape, options.Value.MaxElementsPerInput);
            var shape = input.Shape!;
            // Before decoding: a batch the model cannot take is refused without reading its data.
            if (shape.Length > 0)
            {
                CheckBatchSize(model, shape[0]);
            }

            var index = IndexOf(model.Inputs, spec.Name);
            if (ordered[index] is not null)
            {
                throw InferenceError.InvalidArgument($"input '{spec.Name}' is given more than once");
            }

            ordered[index] = new Tensor(spec.Name, spec.Datatype, shape, input.Data.Decode(spec, shape, count));
        }

        for (var i = 0; i < ordered.Length; i++)
        {
            if (ordered[i] is null)
            {
                throw InferenceError.InvalidArgument($"input '{model.Inputs[i].Name}' is missing");
            }
        }

        var batchSize = 1;
        if (model.Config.MaxBatchSize > 0)
        {
            batchSize = (int)Math.Min(ordered[0].Shape[0], int.MaxValue);
            foreach (var input in ordered)
            {
                if (input.Shape[0] != ordered[0].Shape[0])
                {
                    throw InferenceError.InvalidArgument(
                        $"input '{input.Name}' has batch size {input.Shape[0]}, input '{ordered[0].Name}' {ordered[0].Shape[0]}: they must agree");
                }
            }

            CheckBatchSize(model, ordered[0].Shape[0]);
        }

        return new InferenceWork(ordered, OutputNames(model, call.Outputs), batchSize, call.Timeout ?? DefaultTimeout(model));
    }

    private static void CheckBatchSize(LoadedModel model, long batchSize)
    {
        if (model.Config.MaxBatchSize > 0 && (batchSize < 1 || batchSize > model.Config.MaxBatchSize))
        {
            throw InferenceError.InvalidArgument(
                $"batch size {batchSize} is outside 1..{model.Config.MaxBatchSize} (max_batch_size of model '{model.Name}')");
        }
    }

    private LoadedModel Acquire(string name, string? version)
    {
        // A version may be retired between the lookup and the lease (a swap): look it up again.
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var model = ResolveReady(name, version);
            if (model.TryAcquire())
            {
                return model;
            }
        }

        throw InferenceError.Unavailable($"model '{name}' is being replaced; try again");
    }

    private static TensorSpec FindInput(LoadedModel model, string? name) =>
        name is not null && IndexOf(model.Inputs, name) is var index and >= 0
            ? model.Inputs[index]
            : throw InferenceError.InvalidArgument(
                $"unknown input '{name}'; model '{model.Name}' takes {string.Join(", ", model.Inputs.Select(i => i.Name))}");

    private static int IndexOf(IReadOnlyList<TensorSpec> specs, string name)
    {
        for (var i = 0; i < specs.Count; i++)
        {
            if (specs[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static IReadOnlyList<string> OutputNames(LoadedModel model, IReadOnlyList<string>? requested)
    {
        if (requested is not { Count: > 0 })
        {
            return [.. model.Outputs.Select(output => output.Name)];
        }

        foreach (var name in requested)
        {
            if (IndexOf(model.Outputs, name) < 0)
            {
                throw InferenceError.InvalidArgument(
                    $"unknown output '{name}'; model '{model.Name}' returns {string.Join(", ", model.Outputs.Select(o => o.Name))}");
            }
        }

        if (requested.Distinct().Count() != requested.Count)
        {
            throw InferenceError.InvalidArgument("an output is requested more than once");
        }

        return requested;
    }

    private static TimeSpan? DefaultTimeout(LoadedModel model) =>
        model.Config.DynamicBatching is { DefaultTimeoutUs: > 0 } batching ? TimeSpan.FromMicroseconds(batching.DefaultTimeoutUs) : null;

    private static string Outcome(Exception e) => e switch
    {
        InferenceError { Kind: InferenceErrorKind.Unavailable } => "unavailable",
        InferenceError => "client_error",
        OperationCanceledException => "cancelled",
        _ => "error",
    };
}
