using System.Diagnostics;
using System.Text.Json;
using AiFactory.Inference.Batching;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Protocol;

/// <summary>
/// The protocol-independent core of an inference: finds the model, validates and orders the inputs, runs them
/// through the model's executor and keeps statistics. REST and gRPC only decode and encode around it.
/// </summary>
public sealed class InferenceService(ModelRepository repository, IOptions<InferenceOptions> options)
{
    /// <summary>Request parameter (Triton): how long the request may wait in the queue, in microseconds.</summary>
    public const string TimeoutParameter = "timeout";

    public InferenceOptions Options => options.Value;

    /// <summary>The ready model a request names; 404 for an unknown model or version, 503 for one not ready.</summary>
    public LoadedModel ResolveReady(string name, string? version)
    {
        var entry = Resolve(name, version);
        return entry.IsReady
            ? entry.Model!
            : throw InferenceException.Unavailable(
                $"model '{name}' version {entry.Version} is not ready ({entry.State}{(entry.Reason.Length > 0 ? ": " + entry.Reason : "")})");
    }

    /// <summary>The entry a request names, ready or not; 404 when there is none.</summary>
    public ModelVersionEntry Resolve(string name, string? version)
    {
        var lookup = repository.Find(name, version);
        return lookup.Entry ?? throw InferenceException.NotFound(lookup.Error);
    }

    /// <summary>
    /// Runs one request on the model it names and returns the model and the outputs. The model is leased for the
    /// whole request, so a version swapped out meanwhile finishes this request before it is freed.
    /// </summary>
    public async Task<(LoadedModel Model, IReadOnlyList<Tensor> Outputs)> InferAsync(
        string name, string? version, Func<LoadedModel, InferenceWork> prepare, CancellationToken cancellationToken)
    {
        var model = Acquire(name, version);
        var started = Stopwatch.GetTimestamp();
        Activity.Current?.SetTag("aifactory.model.name", model.Name);
        Activity.Current?.SetTag("aifactory.model.version", model.Version);
        try
        {
            var work = prepare(model);
            var outputs = await model.Executor.ExecuteAsync(work, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            model.Statistics.Success.Add(elapsed.Ticks * 100);
            model.Metrics.RecordRequest(model.Name, model.Version, "success", elapsed.TotalSeconds);
            return (model, outputs);
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
    /// Checks one input against the model's metadata and its bytes against its shape; returns the tensor.
    /// <paramref name="data"/> is either raw bytes or, when null, decoded from <paramref name="json"/>.
    /// </summary>
    public Tensor DecodeInput(LoadedModel model, string? name, string? datatype, long[]? shape, ReadOnlyMemory<byte>? data, ReadOnlyMemory<byte> json)
    {
        var (spec, count) = CheckInput(model, name, datatype, shape);
        if (data is null)
        {
            if (json.IsEmpty)
            {
                throw InferenceException.BadRequest($"input '{spec.Name}' has neither 'data' nor binary data");
            }

            return new Tensor(spec.Name, spec.Datatype, shape!, JsonTensorData.Decode(spec.Name, spec.Datatype, json.Span, count));
        }

        var bytes = data.Value;
        var size = Datatypes.ElementSize(spec.Datatype);
        if (size > 0 && bytes.Length != count * size)
        {
            throw InferenceException.BadRequest(
                $"input '{spec.Name}': {bytes.Length} bytes of binary data, but shape {Shapes.Format(shape!)} of {spec.Datatype} needs {count * size}");
        }

        if (size == 0 && BytesElements.Count(spec.Name, bytes.Span) is var elements && elements != count)
        {
            throw InferenceException.BadRequest($"input '{spec.Name}': the binary data holds {elements} BYTES elements, the shape {count}");
        }

        return new Tensor(spec.Name, spec.Datatype, shape!, bytes);
    }

    /// <summary>
    /// Checks one input's name, datatype and shape against the model's metadata, and its batch size, before any of
    /// its data is read; returns the model's input and the element count of the shape.
    /// </summary>
    public (TensorSpec Spec, long ElementCount) CheckInput(LoadedModel model, string? name, string? datatype, long[]? shape)
    {
        var spec = FindInput(model, name);
        var count = InputValidator.ValidateShape(spec, datatype, shape, options.Value.MaxElementsPerInput);
        if (shape!.Length > 0)
        {
            CheckBatchSize(model, shape[0]);
        }

        return (spec, count);
    }

    /// <summary>
    /// Puts decoded inputs in the model's order, checks none is missing or repeated, resolves the outputs to
    /// return and the batch size, and builds the work item.
    /// </summary>
    public static InferenceWork CreateWork(LoadedModel model, List<Tensor> inputs, IReadOnlyList<string>? requestedOutputs, TimeSpan? timeout)
    {
        var ordered = new Tensor[model.Inputs.Count];
        foreach (var input in inputs)
        {
            var index = IndexOf(model.Inputs, input.Name);
            if (ordered[index] is not null)
            {
                throw InferenceException.BadRequest($"input '{input.Name}' is given more than once");
            }

            ordered[index] = input;
        }

        for (var i = 0; i < ordered.Length; i++)
        {
            if (ordered[i] is null)
            {
                throw InferenceException.BadRequest($"input '{model.Inputs[i].Name}' is missing");
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
                    throw InferenceException.BadRequest(
                        $"input '{input.Name}' has batch size {input.Shape[0]}, input '{ordered[0].Name}' {ordered[0].Shape[0]}: they must agree");
                }
            }

            CheckBatchSize(model, ordered[0].Shape[0]);
        }

        return new InferenceWork(ordered, OutputNames(model, requestedOutputs), batchSize, timeout ?? DefaultTimeout(model));
    }

    private static void CheckBatchSize(LoadedModel model, long batchSize)
    {
        if (model.Config.MaxBatchSize > 0 && (batchSize < 1 || batchSize > model.Config.MaxBatchSize))
        {
            throw InferenceException.BadRequest(
                $"batch size {batchSize} is outside 1..{model.Config.MaxBatchSize} (max_batch_size of model '{model.Name}')");
        }
    }

    /// <summary>Reads Triton's <c>timeout</c> request parameter (microseconds).</summary>
    public static TimeSpan? TimeoutFrom(Dictionary<string, JsonElement>? parameters)
    {
        if (parameters is null || !parameters.TryGetValue(TimeoutParameter, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var us) && us > 0
            ? TimeSpan.FromMicroseconds(us)
            : throw InferenceException.BadRequest($"parameter '{TimeoutParameter}' must be a positive number of microseconds");
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

        throw InferenceException.Unavailable($"model '{name}' is being replaced; try again");
    }

    private static TensorSpec FindInput(LoadedModel model, string? name) =>
        name is not null && IndexOf(model.Inputs, name) is var index and >= 0
            ? model.Inputs[index]
            : throw InferenceException.BadRequest(
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
                throw InferenceException.BadRequest(
                    $"unknown output '{name}'; model '{model.Name}' returns {string.Join(", ", model.Outputs.Select(o => o.Name))}");
            }
        }

        if (requested.Distinct().Count() != requested.Count)
        {
            throw InferenceException.BadRequest("an output is requested more than once");
        }

        return requested;
    }

    private static TimeSpan? DefaultTimeout(LoadedModel model) =>
        model.Config.DynamicBatching is { DefaultTimeoutUs: > 0 } batching ? TimeSpan.FromMicroseconds(batching.DefaultTimeoutUs) : null;

    private static string Outcome(Exception e) => e switch
    {
        InferenceException { StatusCode: < 500 } => "client_error",
        InferenceException => "unavailable",
        OperationCanceledException => "cancelled",
        _ => "error",
    };
}
