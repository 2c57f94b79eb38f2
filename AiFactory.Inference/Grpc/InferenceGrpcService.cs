using AiFactory.Inference.Apis;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Inference.Protocol;
using ModelMetadataResponse = AiFactory.Inference.Grpc.Protocol.ModelMetadataResponse;
using ServerMetadataResponse = AiFactory.Inference.Grpc.Protocol.ServerMetadataResponse;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using Google.Protobuf;
using Grpc.Core;

namespace AiFactory.Inference.Grpc;

/// <summary>
/// <c>inference.GRPCInferenceService</c>: the same server as the REST endpoints, over gRPC. Outputs always come back
/// as <c>raw_output_contents</c>, as Triton sends them.
/// </summary>
public sealed class InferenceGrpcService(InferenceService inference, ModelRepository repository) : GRPCInferenceService.GRPCInferenceServiceBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = repository.IsServerReady(out _) });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = repository.Find(request.Name, NullIfEmpty(request.Version)).Entry is { IsReady: true } });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse
        {
            Name = ServerApi.ServerName,
            Version = ServerApi.ServerVersion,
            Extensions = { ServerApi.Extensions },
        });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) => Call(() =>
    {
        var model = inference.ResolveReady(request.Name, NullIfEmpty(request.Version));
        var response = new ModelMetadataResponse { Name = model.Name, Platform = ModelsApi.Platform, Versions = { repository.VersionsOf(model.Name) } };
        response.Inputs.AddRange(model.Inputs.Select(Describe));
        response.Outputs.AddRange(model.Outputs.Select(Describe));
        return Task.FromResult(response);
    });

    public override Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context) => Call(async () =>
    {
        var (model, outputs) = await inference.InferAsync(request.ModelName, NullIfEmpty(request.ModelVersion),
            served => Prepare(served, request), context.CancellationToken);
        var headers = context.GetHttpContext().Response.Headers;
        headers[InferenceHttpResult.ModelNameHeader] = model.Name;
        headers[InferenceHttpResult.ModelVersionHeader] = model.Version;
        var response = new ModelInferResponse { ModelName = model.Name, ModelVersion = model.Version, Id = request.Id };
        foreach (var output in outputs)
        {
            response.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = output.Name, Datatype = output.Datatype, Shape = { output.Shape } });
            response.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(output.Data));
        }

        return response;
    });

    private Batching.InferenceWork Prepare(LoadedModel model, ModelInferRequest request)
    {
        var raw = request.RawInputContents;
        if (raw.Count > 0 && raw.Count != request.Inputs.Count)
        {
            throw InferenceException.BadRequest($"raw_input_contents has {raw.Count} entries for {request.Inputs.Count} inputs");
        }

        var inputs = new List<Tensor>(request.Inputs.Count);
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            if (raw.Count > 0 && input.Contents is not null)
            {
                throw InferenceException.BadRequest($"input '{input.Name}' has contents while raw_input_contents is used");
            }

            long[] shape = [.. input.Shape];
            if (raw.Count > 0)
            {
                inputs.Add(inference.DecodeInput(model, input.Name, input.Datatype, shape, raw[i].Memory, default));
                continue;
            }

            // Typed contents are expanded only once the input, its shape and their count agree.
            var (spec, count) = inference.CheckInput(model, input.Name, input.Datatype, shape);
            inputs.Add(new Tensor(spec.Name, spec.Datatype, shape, GrpcTensorContents.ToBytes(spec.Name, spec.Datatype, shape, count, input.Contents)));
        }

        var timeout = request.Parameters.TryGetValue(InferenceService.TimeoutParameter, out var parameter)
            ? parameter.Int64Param > 0
                ? TimeSpan.FromMicroseconds(parameter.Int64Param)
                : throw InferenceException.BadRequest($"parameter '{InferenceService.TimeoutParameter}' must be a positive int64 of microseconds")
            : (TimeSpan?)null;
        return InferenceService.CreateWork(model, inputs, [.. request.Outputs.Select(output => output.Name)], timeout);
    }

    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (InferenceException e)
        {
            throw new RpcException(new Status(e.StatusCode switch
            {
                StatusCodes.Status404NotFound => StatusCode.NotFound,
                StatusCodes.Status413PayloadTooLarge => StatusCode.ResourceExhausted,
                StatusCodes.Status503ServiceUnavailable => StatusCode.Unavailable,
                _ => StatusCode.InvalidArgument,
            }, e.Message));
        }
    }

    private static ModelMetadataResponse.Types.TensorMetadata Describe(TensorSpec spec) =>
        new() { Name = spec.Name, Datatype = spec.Datatype, Shape = { spec.Shape } };

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
