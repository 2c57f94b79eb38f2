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

    /// <summary>Reads the whole body into a buffer rented from the shared pool; the caller returns it.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        // Kestrel enforces its own limit too; keep it in step with ours so the client sees one consistent 413.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is { } announced and > 0 ? (int)announced + 1 : 64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
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
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                throw TooLarge(maxBytes);
            }

            throw;
        }
    }

    private static InferenceException TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the limit of {maxBytes} bytes");
}
