using System.Buffers.Binary;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// The model a unary <c>inference.GRPCInferenceService</c> call addresses. It lives inside the protobuf body (field 1
/// of <c>ModelReadyRequest</c>, <c>ModelMetadataRequest</c> and <c>ModelInferRequest</c>), so the body is buffered
/// and the fields read up to that one; the body is then rewound and forwarded unchanged.
/// </summary>
public static class GrpcModelName
{
    private const string Service = "/inference.GRPCInferenceService/";
    private static readonly string[] ModelMethods = ["ModelReady", "ModelMetadata", "ModelInfer"];

    /// <summary>True when the call is one that names a model.</summary>
    public static bool AddressesModel(HttpRequest request) =>
        request.Path.Value is { } path && path.StartsWith(Service, StringComparison.Ordinal)
        && ModelMethods.Contains(path[Service.Length..], StringComparer.Ordinal);

    /// <summary>The model's name; null when the message cannot be read (compressed, or not protobuf).</summary>
    public static async Task<string?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: limit ?? long.MaxValue);
        try
        {
            var body = request.Body;
            var frame = new byte[5];
            await body.ReadExactlyAsync(frame, cancellationToken);
            if (frame[0] != 0)
            {
                return null; // compressed: the message cannot be read without the call's codec
            }

            var remaining = (long)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1));
            while (remaining > 0)
            {
                var (tag, tagBytes) = await ReadVarintAsync(body, cancellationToken);
                remaining -= tagBytes;
                var (field, wireType) = (tag >> 3, (int)(tag & 7));
                switch (wireType)
                {
                    case 0:
                        remaining -= (await ReadVarintAsync(body, cancellationToken)).Bytes;
                        break;
                    case 1 or 5:
                        var fixedLength = wireType == 1 ? 8 : 4;
                        await SkipAsync(body, fixedLength, cancellationToken);
                        remaining -= fixedLength;
                        break;
                    case 2:
                        var (length, lengthBytes) = await ReadVarintAsync(body, cancellationToken);
                        remaining -= lengthBytes + (long)length;
                        if (field == 1)
                        {
                            var name = new byte[checked((int)length)];
                            await body.ReadExactlyAsync(name, cancellationToken);
                            return Encoding.UTF8.GetString(name);
                        }

                        await SkipAsync(body, (long)length, cancellationToken);
                        break;
                    default:
                        return null;
                }
            }

            return ""; // field 1 absent: the empty name
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or InvalidDataException)
        {
            return null;
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    private static async Task<(ulong Value, int Bytes)> ReadVarintAsync(Stream stream, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        ulong value = 0;
        for (var i = 0; i < 10; i++)
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            value |= (ulong)(one[0] & 0x7F) << (7 * i);
            if ((one[0] & 0x80) == 0)
            {
                return (value, i + 1);
            }
        }

        throw new InvalidDataException("malformed varint");
    }

    private static async Task SkipAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(count, 81920)];
        while (count > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(count, buffer.Length)), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            count -= read;
        }
    }
}
