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

    /// <summary>The parsed JSON header and the binary section (empty for plain JSON).</summary>
    public static async Task<(InferenceRequest Request, ReadOnlyMemory<byte> Binary)> ReadAsync(
        HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var body = await ReadBodyAsync(request, maxBytes, cancellationToken);
        var jsonLength = body.Length;
        if (request.Headers.TryGetValue(HeaderLengthHeader, out var header))
        {
            if (!int.TryParse(header, out jsonLength) || jsonLength < 0 || jsonLength > body.Length)
            {
                throw InferenceException.BadRequest(
                    $"{HeaderLengthHeader} is '{header}', but must be a length between 0 and the body's {body.Length} bytes");
            }
        }

        return (Parse(body.Span[..jsonLength]), body[jsonLength..]);
    }

    public static InferenceRequest Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.InferenceRequest)
                   ?? throw InferenceException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw InferenceException.BadRequest($"malformed JSON at {e.Path ?? "$"}: {e.Message.Split(" Path:")[0]}");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        // Kestrel enforces its own limit too; keep it in step with ours so the client sees one consistent 413.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is { } length and > 0 ? (int)length : 16 * 1024);
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(buffer.GetMemory(64 * 1024), cancellationToken);
                if (read == 0)
                {
                    return buffer.WrittenMemory;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }
    }

    private static InferenceException TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the limit of {maxBytes} bytes");
}
