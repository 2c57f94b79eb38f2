extern alias gateway;

using System.Buffers.Binary;
using AiFactory.Inference.Grpc.Protocol;
using Google.Protobuf;
using gateway::AiFactory.Gateway.Traffic;

namespace AiFactory.Tests.Gateway.Traffic;

/// <summary>The version the split chose, appended to a gRPC call's message as field 2, read back by protobuf's own parser.</summary>
public sealed class GrpcVersionFieldTests
{
    [Fact]
    public void The_appended_version_is_what_inference_reads_and_the_frame_length_covers_it()
    {
        var request = new ModelInferRequest { ModelName = "text-direction", Id = "call-1" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, 2 } });
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[8]));

        var (frameLength, message) = Rewrite(request, "12");

        var parsed = ModelInferRequest.Parser.ParseFrom(message);
        Assert.Equal(message.Length, frameLength);
        Assert.Equal("12", parsed.ModelVersion);
        Assert.Equal(request.With("12"), parsed);
    }

    [Fact]
    public void A_version_already_in_the_message_is_overridden_by_the_appended_one()
    {
        var (_, message) = Rewrite(new ModelReadyRequest { Name = "m", Version = "7" }, "3");

        Assert.Equal("3", ModelReadyRequest.Parser.ParseFrom(message).Version);
    }

    [Fact]
    public void A_long_version_gets_a_multi_byte_length()
    {
        var version = new string('9', 200);

        var (frameLength, message) = Rewrite(new ModelMetadataRequest { Name = "m" }, version);

        Assert.Equal(message.Length, frameLength);
        Assert.Equal(version, ModelMetadataRequest.Parser.ParseFrom(message).Version);
    }

    /// <summary>Frames the message as gRPC does, appends the version, and returns the new frame's length and message.</summary>
    private static (long FrameLength, byte[] Message) Rewrite(IMessage request, string version)
    {
        var message = request.ToByteArray();
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);

        using var rewritten = GrpcVersionField.Append(new MemoryStream(frame), version, out var added);
        using var copy = new MemoryStream();
        rewritten.CopyTo(copy);
        var bytes = copy.ToArray();
        Assert.Equal(frame.Length + added, bytes.Length);
        return (BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1, 4)), bytes[5..]);
    }
}

file static class Messages
{
    /// <summary>A copy of the request with another version, to compare field by field.</summary>
    public static ModelInferRequest With(this ModelInferRequest request, string version)
    {
        var copy = request.Clone();
        copy.ModelVersion = version;
        return copy;
    }
}
