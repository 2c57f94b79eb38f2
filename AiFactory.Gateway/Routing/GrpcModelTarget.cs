using System.Buffers.Binary;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing.Protocol;
using Google.Protobuf;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// The model and version a unary <c>inference.GRPCInferenceService</c> call names, read from its one message: the
/// message is held in pooled memory as its bytes arrive, up to a cap, parsed by protobuf's generated parser (so the
/// value is the one inference will use: the last field 1 wins, other fields are skipped), and then forwarded from
/// that same memory. Nothing is spooled to disk.
/// </summary>
public static class GrpcModelTarget
{
    // gRPC's length-prefixed message: a compressed flag, then the message length as a 4-byte big-endian integer.
    private const int PrefixBytes = 5;
    private static readonly MessageParser<ModelTarget> Parser = ModelTarget.Parser.WithDiscardUnknownFields(true);

    /// <summary>Why the allow-list reads a message, in its refusals.</summary>
    public const string ToCheckTheAllowList = "to check the API key's model allow-list";

    /// <summary>
    /// Reads the call's message and records its model and version in <see cref="OipTarget"/>; returns the updated
    /// target, or the refusal the client gets (also recorded). <paramref name="purpose"/> says, in a refusal, why the
    /// gateway reads it ("to check the API key's model allow-list").
    /// </summary>
    public static async Task<OipParse> ReadAsync(HttpContext context, OipTarget target, int maxMessageBytes, string purpose)
    {
        var parse = await ParseAsync(context, target, maxMessageBytes, purpose);
        OipTarget.Record(context, parse);
        return parse;
    }

    private static async Task<OipParse> ParseAsync(HttpContext context, OipTarget target, int maxMessageBytes, string purpose)
    {
        var body = new PooledRequestBody();
        context.Response.RegisterForDispose(body);
        var source = context.Request.Body;
        var cancellationToken = context.RequestAborted;

        await body.ReadUpToAsync(source, PrefixBytes, cancellationToken);
        if (body.Length < PrefixBytes)
        {
            return Refuse(StatusCodes.Status400BadRequest, "the gRPC call carries no message");
        }

        if (body.Span[0] != 0)
        {
            return Refuse(StatusCodes.Status400BadRequest,
                $"the gRPC message is compressed; send it uncompressed: the gateway reads the model it names {purpose}");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(body.Span[1..PrefixBytes]);
        if (length > (uint)maxMessageBytes)
        {
            return Refuse(StatusCodes.Status413PayloadTooLarge,
                $"the gRPC message of {length} bytes is larger than {maxMessageBytes} bytes, the most the gateway reads {purpose} ({ModelAccessOptions.SectionName}:{nameof(ModelAccessOptions.MaxGrpcMessageBytes)})");
        }

        await body.ReadUpToAsync(source, PrefixBytes + (int)length, cancellationToken);
        if (body.Length < PrefixBytes + length)
        {
            return Refuse(StatusCodes.Status400BadRequest, $"the gRPC message ended after {body.Length - PrefixBytes} of its {length} bytes");
        }

        if (await source.ReadAsync(new byte[1], cancellationToken) > 0)
        {
            return Refuse(StatusCodes.Status400BadRequest, "a unary gRPC call carries one message, but more bytes follow it");
        }

        ModelTarget message;
        try
        {
            message = Parser.ParseFrom(body.Span[PrefixBytes..]);
        }
        catch (InvalidProtocolBufferException e)
        {
            return Refuse(StatusCodes.Status400BadRequest, $"the gRPC message is not valid protobuf: {e.Message}");
        }

        var version = message.Version.Length > 0 ? message.Version : null;
        if (OipParser.CheckNames(message.Name, version) is { } refusal)
        {
            return new OipParse(null, refusal);
        }

        context.Request.Body = body.AsStream();
        return new OipParse(target with { Model = message.Name, Version = version }, null);
    }

    private static OipParse Refuse(int status, string message) => new(null, new Refusal(status, message));
}
