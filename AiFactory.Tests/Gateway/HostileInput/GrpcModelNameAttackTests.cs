extern alias gateway;

using System.Runtime.InteropServices;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;
using Google.Protobuf;
using Grpc.Core;
using ModelAccessOptions = gateway::AiFactory.Gateway.Authentication.ModelAccessOptions;

namespace AiFactory.Tests.Gateway.HostileInput;

/// <summary>
/// A key limited to one model names another inside a gRPC message, where the gateway must read the name exactly as
/// inference's protobuf parser will, or calls a method by a name the gateway does not check. Each gets a gRPC
/// status from the gateway naming the problem; the legitimate calls keep working.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class GrpcModelNameAttackTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Service = "inference.GRPCInferenceService";
    private const string Allowed = SampleModels.TextDirection;
    private const string Forbidden = SampleModels.TextDetection;

    [Fact]
    public async Task A_repeated_name_field_is_read_as_protobuf_reads_it_so_a_forbidden_last_name_is_refused()
    {
        // Protobuf keeps the last occurrence of a field: inference would serve the forbidden model.
        var message = Concat(new ModelMetadataRequest { Name = Allowed }, new ModelMetadataRequest { Name = Forbidden });
        using var channel = fixture.CreateGatewayGrpcChannel(await RestrictedKeyAsync());

        var error = await Assert.ThrowsAsync<RpcException>(() => RawRequests.GrpcUnaryAsync(channel, Service, "ModelMetadata", message, Timeout));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal($"the API key may not use model '{Forbidden}'", error.Status.Detail);
    }

    [Fact]
    public async Task A_repeated_name_field_ending_with_the_allowed_name_is_served_as_that_model()
    {
        var message = Concat(new ModelMetadataRequest { Name = Forbidden }, new ModelMetadataRequest { Name = Allowed });
        using var channel = fixture.CreateGatewayGrpcChannel(await RestrictedKeyAsync());

        var answer = ModelMetadataResponse.Parser.ParseFrom(await RawRequests.GrpcUnaryAsync(channel, Service, "ModelMetadata", message, Timeout));

        Assert.Equal(Allowed, answer.Name);
    }

    [Fact]
    public async Task A_lower_case_method_path_does_not_get_past_the_allow_list()
    {
        var message = new ModelMetadataRequest { Name = Forbidden }.ToByteArray();
        using var channel = fixture.CreateGatewayGrpcChannel(await RestrictedKeyAsync());

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            RawRequests.GrpcUnaryAsync(channel, Service.ToLowerInvariant(), "modelmetadata", message, Timeout));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("unknown gRPC method '/inference.grpcinferenceservice/modelmetadata'", error.Status.Detail);
    }

    [Fact]
    public async Task An_anonymous_health_method_in_another_case_is_refused()
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.App.GetEndpoint("gateway", "grpc")); // no key: the health methods are anonymous

        var error = await Assert.ThrowsAsync<RpcException>(() => RawRequests.GrpcUnaryAsync(channel, Service, "serverlive", [], Timeout));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("unknown gRPC method '/inference.GRPCInferenceService/serverlive'", error.Status.Detail);
    }

    public static TheoryData<string, byte[], string> BadNames => new()
    {
        { "invalid UTF-8", [0x0A, 0x02, 0xC3, 0x28], "the gRPC message is not valid protobuf: String is invalid UTF-8." },
        { "10 KB name", new ModelMetadataRequest { Name = new string('a', 10 * 1024) }.ToByteArray(),
            $"invalid model name '{new string('a', 64)}...' (10240 characters): a model name is 1 to 128 ASCII letters, digits, '-', '_' or '.', not starting with '.'" },
        { "NUL in the name", new ModelMetadataRequest { Name = $"{Allowed}\0" }.ToByteArray(), $"invalid model name '{Allowed}\0': " },
        { "no name", [], "invalid model name '': " },
        { "version with a leading zero", new ModelMetadataRequest { Name = Allowed, Version = "01" }.ToByteArray(),
            "invalid model version '01': a version is a positive integer, without sign or leading zeros" },
        { "truncated field", [0x0A, 0x7F, 0x61], "the gRPC message is not valid protobuf: While parsing a protocol message, the input ended unexpectedly" },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task A_message_whose_name_is_not_a_valid_model_name_is_refused(string attack, byte[] message, string error)
    {
        using var channel = fixture.CreateGatewayGrpcChannel(await RestrictedKeyAsync());

        var refused = await Assert.ThrowsAsync<RpcException>(() => RawRequests.GrpcUnaryAsync(channel, Service, "ModelMetadata", message, Timeout));

        Assert.True(StatusCode.InvalidArgument == refused.StatusCode, $"{attack}: {refused.Status}");
        Assert.StartsWith(error, refused.Status.Detail);
    }

    [Fact]
    public async Task A_compressed_message_is_refused_since_its_name_cannot_be_checked()
    {
        using var channel = fixture.CreateGatewayGrpcChannel(await RestrictedKeyAsync());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var compressed = new Metadata { { "grpc-internal-encoding-request", "gzip" } }; // the client gzips the message

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.ModelMetadataAsync(new ModelMetadataRequest { Name = Forbidden }, compressed, DateTime.UtcNow.Add(Timeout)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("the gRPC message is compressed; send it uncompressed: the gateway reads the model it names to check the API key's model allow-list",
            error.Status.Detail);
    }

    [Fact]
    public async Task A_message_over_the_cap_is_refused_from_its_declared_length_without_the_gateway_holding_it()
    {
        var cap = new ModelAccessOptions().MaxGrpcMessageBytes;
        var request = new ModelInferRequest { ModelName = Allowed };
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[4 * cap]));
        var message = request.ToByteArray();
        using var channel = fixture.CreateGatewayGrpcChannel(await RestrictedKeyAsync());
        var before = fixture.ResidentBytes("gateway");

        var error = await Assert.ThrowsAsync<RpcException>(() => RawRequests.GrpcUnaryAsync(channel, Service, "ModelInfer", message, Timeout));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal($"the gRPC message of {message.Length} bytes is larger than {cap} bytes, the most the gateway reads to check the API key's model allow-list (Gateway:ModelAccess:MaxGrpcMessageBytes)",
            error.Status.Detail);
        var grown = fixture.ResidentBytes("gateway") - before;
        Assert.True(grown < cap, $"the gateway's resident memory grew by {grown} bytes for a refused {message.Length}-byte message");
    }

    [Fact]
    public async Task A_restricted_key_infers_with_its_model_over_grpc()
    {
        using var channel = fixture.CreateGatewayGrpcChannel(await RestrictedKeyAsync());

        var answer = await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ModelInferAsync(InferRequest(Allowed), deadline: DateTime.UtcNow.Add(Timeout));

        Assert.Equal(Allowed, answer.ModelName);
        Assert.Equal([1L, 2L], answer.Outputs.Single().Shape);
    }

    [Fact]
    public async Task A_key_without_an_allow_list_calls_any_model_over_grpc()
    {
        using var admin = fixture.CreateGatewayClient();
        using var channel = fixture.CreateGatewayGrpcChannel((await admin.CreateKeyAsync("grpc-unrestricted", ["infer"])).Key);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        foreach (var model in new[] { Allowed, Forbidden })
        {
            var answer = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = model }, deadline: DateTime.UtcNow.Add(Timeout));
            Assert.Equal(model, answer.Name);
        }
    }

    private static ModelInferRequest InferRequest(string model)
    {
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = SampleModels.TextDirectionInput, Datatype = "FP32", Shape = { 1, 3, 48, 192 } });
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(SampleModels.RandomImage(5, 1, 3, 48, 192).AsSpan())));
        return request;
    }

    private static byte[] Concat(params IMessage[] messages) => [.. messages.SelectMany(message => message.ToByteArray())];

    private async Task<string> RestrictedKeyAsync()
    {
        using var admin = fixture.CreateGatewayClient();
        return (await admin.CreateKeyAsync("grpc-restricted", ["infer"], models: [Allowed])).Key;
    }
}
