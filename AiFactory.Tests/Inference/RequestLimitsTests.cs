using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;
using Google.Protobuf;
using Grpc.Net.Client;

namespace AiFactory.Tests.Inference;

/// <summary>Kestrel's limits on a real replica let through what the service itself accepts.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RequestLimitsTests(AppHostFixture fixture)
{
    /// <summary>
    /// Kestrel applies its server-wide body limit (1 MiB, for the small JSON of the other endpoints) to unary gRPC
    /// calls too; a gRPC message is bounded by Inference:MaxRequestBodyBytes instead, like a REST body.
    /// </summary>
    [Fact]
    public async Task A_grpc_message_larger_than_the_server_wide_body_limit_reaches_the_service()
    {
        using var channel = GrpcChannel.ForAddress(fixture.App.GetEndpoint(AppHostFixture.InferenceReplicas[0], "grpc"));
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var request = new ModelInferRequest { ModelName = SampleModels.TextDetection };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, 3, 32, 32 } });
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[4 * 1024 * 1024]));

        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddMinutes(1)));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("input 'x': 4194304 bytes of binary data, but shape [1,3,32,32] of FP32 needs 12288", refused.Status.Detail);
    }
}
