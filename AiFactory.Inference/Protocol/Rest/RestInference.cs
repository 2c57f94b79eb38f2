using System.Text.Json;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Protocol.Rest;

/// <summary>
/// The REST codec: a request (JSON with an optional binary section) becomes an <see cref="InferenceCall"/>, and the
/// core's result becomes the response. Everything that is REST's own (binary sizes, JSON parameters, which outputs
/// go into the binary section) is read and checked here, before the model is run.
/// </summary>
public static class RestInference
{
    public const string BinaryDataSize = "binary_data_size";
    public const string BinaryData = "binary_data";
    public const string BinaryDataOutput = "binary_data_output";

    /// <summary>Parameters that steer the server and are not echoed back.</summary>
    private static readonly HashSet<string> ReservedParameters = [BinaryDataOutput, InferenceCall.TimeoutParameter];

    public static InferenceCall Decode(string model, string? version, InferenceRequest request, ReadOnlyMemory<byte> binary)
    {
        if (request.Inputs is not { Count: > 0 })
        {
            throw InferenceError.InvalidArgument("'inputs' is missing or empty");
        }

        var inputs = new List<CallInput>(request.Inputs.Count);
        var offset = 0;
        foreach (var input in request.Inputs)
        {
            IInputData data = new JsonInputData(input.Data);
            if (input.Parameters is not null && input.Parameters.TryGetValue(BinaryDataSize, out var sizeElement))
            {
                if (!input.Data.IsEmpty)
                {
                    throw InferenceError.InvalidArgument($"input '{input.Name}' has both 'data' and '{BinaryDataSize}'");
                }

                if (sizeElement.ValueKind != JsonValueKind.Number || !sizeElement.TryGetInt32(out var size) || size < 0)
                {
                    throw InferenceError.InvalidArgument($"input '{input.Name}': '{BinaryDataSize}' must be a non-negative integer");
                }

                if (size > binary.Length - offset)
                {
                    throw InferenceError.InvalidArgument(
                        $"input '{input.Name}': '{BinaryDataSize}' is {size}, but only {binary.Length - offset} bytes of binary data remain");
                }

                data = new RawInputData(binary.Slice(offset, size));
                offset += size;
            }

            inputs.Add(new CallInput(input.Name, input.Datatype, input.Shape, data));
        }

        if (offset != binary.Length)
        {
            throw InferenceError.InvalidArgument(
                $"the binary section holds {binary.Length} bytes, but the inputs' '{BinaryDataSize}' add up to {offset}");
        }

        var outputs = request.Outputs?.Select(output => output.Name ?? throw InferenceError.InvalidArgument("an output has no 'name'")).ToList();
        CheckBinaryFlags(request);
        return new InferenceCall(model, version, inputs, outputs, TimeoutFrom(request.Parameters));
    }

    /// <summary>The response: the outputs, each in JSON or in the binary section as the request asked.</summary>
    public static InferenceHttpResult Encode(InferenceResult result, InferenceRequest request) =>
        new(result, request.Id, EchoedParameters(request), BinaryOutputs(request, result.Outputs));

    /// <summary>Reads Triton's <c>timeout</c> request parameter (microseconds).</summary>
    private static TimeSpan? TimeoutFrom(Dictionary<string, JsonElement>? parameters)
    {
        if (parameters is null || !parameters.TryGetValue(InferenceCall.TimeoutParameter, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var us) && us > 0
            ? TimeSpan.FromMicroseconds(us)
            : throw InferenceError.InvalidArgument($"parameter '{InferenceCall.TimeoutParameter}' must be a positive number of microseconds");
    }

    /// <summary>Refuses a malformed binary flag before the model runs rather than after.</summary>
    private static void CheckBinaryFlags(InferenceRequest request)
    {
        Flag(request.Parameters, BinaryDataOutput);
        foreach (var output in request.Outputs ?? [])
        {
            Flag(output.Parameters, BinaryData);
        }
    }

    /// <summary>Which outputs go into the binary section: per output <c>binary_data</c>, else the request's <c>binary_data_output</c>.</summary>
    private static bool[] BinaryOutputs(InferenceRequest request, IReadOnlyList<Tensor> outputs)
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
    private static Dictionary<string, JsonElement>? EchoedParameters(InferenceRequest request)
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
            _ => throw InferenceError.InvalidArgument($"parameter '{name}' must be true or false"),
        };

    /// <summary>A JSON input's <c>data</c>, decoded straight into tensor bytes once the core has checked the input.</summary>
    private sealed class JsonInputData(ReadOnlyMemory<byte> json) : IInputData
    {
        public ReadOnlyMemory<byte> Decode(TensorSpec spec, long[] shape, long elementCount) =>
            json.IsEmpty
                ? throw InferenceError.InvalidArgument($"input '{spec.Name}' has neither 'data' nor binary data")
                : JsonTensorData.Decode(spec.Name, spec.Datatype, json.Span, elementCount);
    }
}
