using AiFactory.Inference.Apis;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Inference.Protocol;
using ModelMetadataResponse = AiFactory.Inference.Grpc.Protocol.ModelMetadataResponse;
using ServerMetadataResponse = AiFactory.Inference.Grpc.Protocol.ServerMetadataResponse;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
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
        Task.FromResult(new ModelReadyResponse { Ready = repository.Find(request.Name, GrpcInference.NullIfEmpty(request.Version)).Entry is { IsReady: true } });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse
        {
            Name = ServerApi.ServerName,
            Version = ServerApi.ServerVersion,
            Extensions = { ServerApi.Extensions },
        });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var model = inference.ResolveReady(request.Name, GrpcInference.NullIfEmpty(request.Version));
        var response = new ModelMetadataResponse { Name = model.Name, Platform = ModelsApi.Platform, Versions = { repository.VersionsOf(model.Name) } };
        response.Inputs.AddRange(model.Inputs.Select(Describe));
        response.Outputs.AddRange(model.Outputs.Select(Describe));
        return Task.FromResult(response);
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var result = await inference.InferAsync(GrpcInference.Decode(request), context.CancellationToken);
        var headers = context.GetHttpContext().Response.Headers;
        headers[ModelHeaders.Name] = result.ModelName;
        headers[ModelHeaders.Version] = result.ModelVersion;
        return GrpcInference.Encode(result, request.Id);
    }

    private static ModelMetadataResponse.Types.TensorMetadata Describe(TensorSpec spec) =>
        new() { Name = spec.Name, Datatype = spec.Datatype, Shape = { spec.Shape } };
}
