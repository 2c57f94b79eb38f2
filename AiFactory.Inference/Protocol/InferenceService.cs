using System.Text.Json;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Protocol;

/// <summary>Turns protocol requests into validated tensors, runs them and names the outputs to return.</summary>
public sealed class InferenceService(ModelRepository repository, IOptions<InferenceOptions> options)
{
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

    /// <summary>Reads a JSON inference request; a malformed body is a 400 that says where it broke.</summary>
    public static async Task<InferenceRequest> ReadJsonAsync(Stream body, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(body, ProtocolJsonContext.Default.InferenceRequest, cancellationToken)
                   ?? throw InferenceException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw InferenceException.BadRequest($"malformed JSON at {e.Path ?? "$"} (line {e.LineNumber}): {e.Message}");
        }
    }

    public IReadOnlyList<Tensor> Infer(LoadedModel model, InferenceRequest request)
    {
        var inputs = DecodeInputs(model, request);
        var outputNames = OutputNames(model, request);
        return model.Run(inputs, outputNames);
    }

    private List<Tensor> DecodeInputs(LoadedModel model, InferenceRequest request)
    {
        if (request.Inputs is not { Count: > 0 })
        {
            throw InferenceException.BadRequest("'inputs' is missing or empty");
        }

        var tensors = new List<Tensor>(request.Inputs.Count);
        foreach (var input in request.Inputs)
        {
            var spec = model.Inputs.FirstOrDefault(candidate => candidate.Name == input.Name)
                       ?? throw InferenceException.BadRequest(
                           $"unknown input '{input.Name}'; model '{model.Name}' takes {string.Join(", ", model.Inputs.Select(i => i.Name))}");
            if (tensors.Exists(tensor => tensor.Name == spec.Name))
            {
                throw InferenceException.BadRequest($"input '{spec.Name}' is given more than once");
            }

            var count = InputValidator.ValidateShape(spec, input.Datatype, input.Shape, options.Value.MaxElementsPerInput);
            tensors.Add(new Tensor(spec.Name, spec.Datatype, input.Shape!, JsonTensorData.Decode(spec.Name, spec.Datatype, input.Data, count)));
        }

        var missing = model.Inputs.FirstOrDefault(spec => !tensors.Exists(tensor => tensor.Name == spec.Name));
        if (missing is not null)
        {
            throw InferenceException.BadRequest($"input '{missing.Name}' is missing");
        }

        return tensors;
    }

    private static List<string> OutputNames(LoadedModel model, InferenceRequest request)
    {
        if (request.Outputs is not { Count: > 0 })
        {
            return [.. model.Outputs.Select(output => output.Name)];
        }

        var names = new List<string>(request.Outputs.Count);
        foreach (var output in request.Outputs)
        {
            if (!model.Outputs.Any(spec => spec.Name == output.Name))
            {
                throw InferenceException.BadRequest(
                    $"unknown output '{output.Name}'; model '{model.Name}' returns {string.Join(", ", model.Outputs.Select(o => o.Name))}");
            }

            names.Add(output.Name!);
        }

        return names;
    }
}
