using System.Text.Json;
using AiFactory.Inference.Batching;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol;

/// <summary>Turns a REST request (JSON with an optional binary section) into work for the model.</summary>
public static class RestInference
{
    public const string BinaryDataSize = "binary_data_size";
    public const string BinaryData = "binary_data";
    public const string BinaryDataOutput = "binary_data_output";

    /// <summary>Parameters that steer the server and are not echoed back.</summary>
    private static readonly HashSet<string> ReservedParameters = [BinaryDataOutput, InferenceService.TimeoutParameter];

    public static InferenceWork Prepare(InferenceService service, LoadedModel model, InferenceRequest request, ReadOnlyMemory<byte> binary)
    {
        if (request.Inputs is not { Count: > 0 })
        {
            throw InferenceException.BadRequest("'inputs' is missing or empty");
        }

        var inputs = new List<Tensor>(request.Inputs.Count);
        var offset = 0;
        foreach (var input in request.Inputs)
        {
            ReadOnlyMemory<byte>? data = null;
            if (input.Parameters is not null && input.Parameters.TryGetValue(BinaryDataSize, out var sizeElement))
            {
                if (!input.Data.IsEmpty)
                {
                    throw InferenceException.BadRequest($"input '{input.Name}' has both 'data' and '{BinaryDataSize}'");
                }

                if (sizeElement.ValueKind != JsonValueKind.Number || !sizeElement.TryGetInt32(out var size) || size < 0)
                {
                    throw InferenceException.BadRequest($"input '{input.Name}': '{BinaryDataSize}' must be a non-negative integer");
                }

                if (size > binary.Length - offset)
                {
                    throw InferenceException.BadRequest(
                        $"input '{input.Name}': '{BinaryDataSize}' is {size}, but only {binary.Length - offset} bytes of binary data remain");
                }

                data = binary.Slice(offset, size);
                offset += size;
            }

            inputs.Add(service.DecodeInput(model, input.Name, input.Datatype, input.Shape, data, input.Data));
        }

        if (offset != binary.Length)
        {
            throw InferenceException.BadRequest(
                $"the binary section holds {binary.Length} bytes, but the inputs' '{BinaryDataSize}' add up to {offset}");
        }

        var outputs = request.Outputs?.Select(output => output.Name ?? throw InferenceException.BadRequest("an output has no 'name'")).ToList();
        return InferenceService.CreateWork(model, inputs, outputs, InferenceService.TimeoutFrom(request.Parameters));
    }

    /// <summary>Which outputs go into the binary section: per output <c>binary_data</c>, else the request's <c>binary_data_output</c>.</summary>
    public static bool[] BinaryOutputs(InferenceRequest request, IReadOnlyList<Tensor> outputs)
    {
        var all = Flag(request.Parameters, BinaryDataOutput);
        var binary = new bool[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            var requested = request.Outputs?.FirstOrDefault(output => output.Name == outputs[i].Name);
            binary[i] = requested?.Parameters is { } parameters && parameters.ContainsKey(BinaryData) ? Flag(parameters, BinaryData) : all;
        }

        return binary;
    }

    /// <summary>Request parameters worth echoing in the response (everything but those that steer the server).</summary>
    public static Dictionary<string, JsonElement>? EchoedParameters(InferenceRequest request)
    {
        if (request.Parameters is null)
        {
            return null;
        }

        var echoed = request.Parameters.Where(pair => !ReservedParameters.Contains(pair.Key)).ToDictionary();
        return echoed.Count == 0 ? null : echoed;
    }

    private static bool Flag(Dictionary<string, JsonElement>? parameters, string name) =>
        parameters is not null && parameters.TryGetValue(name, out var value) && value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw InferenceException.BadRequest($"parameter '{name}' must be true or false"),
        };
}
