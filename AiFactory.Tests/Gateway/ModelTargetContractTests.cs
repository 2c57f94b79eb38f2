extern alias gateway;

using AiFactory.Inference.Grpc.Protocol;
using Google.Protobuf;
using ModelTarget = gateway::AiFactory.Gateway.Routing.Protocol.ModelTarget;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// The gateway reads a gRPC call's model with its own two-field message (Protos/model_target.proto); it must read
/// from every model-addressing message of inference's contract the model and version inference reads from it.
/// </summary>
public sealed class ModelTargetContractTests
{
    private static readonly MessageParser<ModelTarget> Parser = ModelTarget.Parser.WithDiscardUnknownFields(true);

    public static TheoryData<string, byte[]> Messages => new()
    {
        { nameof(ModelReadyRequest), new ModelReadyRequest { Name = "m", Version = "3" }.ToByteArray() },
        { nameof(ModelMetadataRequest), new ModelMetadataRequest { Name = "m", Version = "3" }.ToByteArray() },
        { nameof(ModelInferRequest), Infer("m", "3").ToByteArray() },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void The_gateway_reads_the_model_and_version_inference_reads(string message, byte[] bytes)
    {
        var target = Parser.ParseFrom(bytes);

        Assert.True(("m", "3") == (target.Name, target.Version), $"{message}: read '{target.Name}' version '{target.Version}'");
    }

    [Fact]
    public void Of_a_repeated_model_name_both_read_the_last()
    {
        var bytes = Infer("first", "").ToByteArray().Concat(new ModelInferRequest { ModelName = "last" }.ToByteArray()).ToArray();

        Assert.Equal(ModelInferRequest.Parser.ParseFrom(bytes).ModelName, Parser.ParseFrom(bytes).Name);
        Assert.Equal("last", Parser.ParseFrom(bytes).Name);
    }

    private static ModelInferRequest Infer(string model, string version)
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version, Id = "id" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, 2 } });
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[8]));
        request.Parameters["p"] = new InferParameter { StringParam = "v" };
        return request;
    }
}
