using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Runtime;
using Google.Protobuf;

namespace AiFactory.Inference.Grpc;

/// <summary>
/// The gRPC codec: a <c>ModelInferRequest</c> becomes an <see cref="InferenceCall"/> (inputs from
/// <c>raw_input_contents</c> or the typed contents), and the core's result a <c>ModelInferResponse</c> whose outputs
/// are <c>raw_output_contents</c>, as Triton sends them.
/// </summary>
public static class GrpcInference
{
    public static InferenceCall Decode(ModelInferRequest request)
    {
        var raw = request.RawInputContents;
        if (raw.Count > 0 && raw.Count != request.Inputs.Count)
        {
            throw InferenceError.InvalidArgument($"raw_input_contents has {raw.Count} entries for {request.Inputs.Count} inputs");
        }

        var inputs = new List<CallInput>(request.Inputs.Count);
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            if (raw.Count > 0 && input.Contents is not null)
            {
                throw InferenceError.InvalidArgument($"input '{input.Name}' has contents while raw_input_contents is used");
            }

            IInputData data = raw.Count > 0 ? new RawInputData(raw[i].Memory) : new TypedContents(input.Contents);
            inputs.Add(new CallInput(input.Name, input.Datatype, [.. input.Shape], data));
        }

        var timeout = request.Parameters.TryGetValue(InferenceCall.TimeoutParameter, out var parameter)
            ? parameter.Int64Param > 0
                ? TimeSpan.FromMicroseconds(parameter.Int64Param)
                : throw InferenceError.InvalidArgument($"parameter '{InferenceCall.TimeoutParameter}' must be a positive int64 of microseconds")
            : (TimeSpan?)null;
        return new InferenceCall(request.ModelName, NullIfEmpty(request.ModelVersion), inputs,
            [.. request.Outputs.Select(output => output.Name)], timeout);
    }

    public static ModelInferResponse Encode(InferenceResult result, string id)
    {
        var response = new ModelInferResponse { ModelName = result.ModelName, ModelVersion = result.ModelVersion, Id = id };
        foreach (var output in result.Outputs)
        {
            response.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = output.Name, Datatype = output.Datatype, Shape = { output.Shape } });
            // Outputs are arrays of their own (copied out of ONNX Runtime): wrapping them needs no copy.
            response.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(output.Data));
        }

        return response;
    }

    /// <summary>The protocol leaves a version out as the empty string.</summary>
    public static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>Typed contents, expanded only once the input, its shape and their count agree.</summary>
    private sealed class TypedContents(InferTensorContents? contents) : IInputData
    {
        public ReadOnlyMemory<byte> Decode(TensorSpec spec, long[] shape, long elementCount) =>
            GrpcTensorContents.ToBytes(spec.Name, spec.Datatype, shape, elementCount, contents);
    }
}
