using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace AiFactory.Inference.Protocol;

/// <summary>
/// Reads an inference request body: plain JSON, or the <c>binary_tensor_data</c> form where the first
/// <c>Inference-Header-Content-Length</c> bytes are JSON and the rest holds the tensors' bytes.
/// </summary>
public static class InferenceRequestReader
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    /// <summary>
    /// The first buffer a body is read into. Larger bodies double it as they arrive: the copies add up to less than the
    /// body once more, a small price next to parsing it.
    /// </summary>
    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>The parsed JSON header and the binary section (empty for plain JSON), in a pooled buffer.</summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var (buffer, length) = await ReadBodyAsync(request, maxBytes, cancellationToken);
        try
        {
            var jsonLength = length;
            if (request.Headers.TryGetValue(HeaderLengthHeader, out var header))
            {
                if (!int.TryParse(header, out jsonLength) || jsonLength < 0 || jsonLength > length)
                {
                    throw InferenceException.BadRequest(
                        $"{HeaderLengthHeader} is '{header}', but must be a length between 0 and the body's {length} bytes");
                }
            }

            return new RequestBody(InferenceRequestParser.Parse(buffer.AsMemory(0, jsonLength)), buffer, jsonLength, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Reads the whole body into a buffer rented from the shared pool; the caller returns it. The buffer grows with
    /// the bytes that arrive (doubling from <see cref="InitialBufferBytes"/>, up to the limit), never to the size a
    /// <c>Content-Length</c> declares: a client may declare 256 MiB and send 90 bytes.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        // Kestrel enforces its own limit too; keep it in step with ours so the client sees one consistent 413.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        // One byte past the limit tells a body over it from one that fills it exactly.
        var largest = (int)Math.Min((long)maxBytes + 1, Array.MaxLength);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, largest));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, largest));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }
            }
        }
        catch (Exception e)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (ServerLimits.BodyLimitError(request.HttpContext, e) is var (status, message))
            {
                throw new InferenceException(status, message);
            }

            throw;
        }
    }

    private static InferenceException TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the limit of {maxBytes} bytes");
}
