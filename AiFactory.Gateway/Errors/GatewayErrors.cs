using System.Globalization;
using System.Text.Json;

namespace AiFactory.Gateway.Errors;

/// <summary>
/// Every error the gateway answers itself, in the client's protocol: <c>{"error": message}</c> with the HTTP status
/// for REST, and a trailers-only gRPC status with the same message for gRPC calls.
/// </summary>
public static class GatewayErrors
{
    /// <summary>Writes <paramref name="message"/> as <paramref name="status"/> in the protocol of the request.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string message)
    {
        if (IsGrpc(context.Request))
        {
            WriteGrpcStatus(context, status, message);
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var body = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("error", message);
            writer.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(body.ToArray(), context.RequestAborted);
    }

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    // gRPC answers errors with HTTP 200 and the status in headers (a "trailers-only" response), so clients see the
    // status code and message instead of a transport failure.
    private static void WriteGrpcStatus(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = GrpcStatusOf(status).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }

    /// <summary>The gRPC status code (grpc/doc/statuscodes.md) that means what the HTTP status means.</summary>
    public static int GrpcStatusOf(int httpStatus) => httpStatus switch
    {
        StatusCodes.Status400BadRequest => 3,              // INVALID_ARGUMENT
        StatusCodes.Status401Unauthorized => 16,           // UNAUTHENTICATED
        StatusCodes.Status403Forbidden => 7,               // PERMISSION_DENIED
        StatusCodes.Status404NotFound => 5,                // NOT_FOUND
        StatusCodes.Status408RequestTimeout => 4,          // DEADLINE_EXCEEDED: the message arrived too slowly
        StatusCodes.Status413PayloadTooLarge => 8,         // RESOURCE_EXHAUSTED
        StatusCodes.Status429TooManyRequests => 8,         // RESOURCE_EXHAUSTED
        StatusCodes.Status504GatewayTimeout => 4,          // DEADLINE_EXCEEDED
        StatusCodes.Status501NotImplemented => 12,         // UNIMPLEMENTED
        499 => 1,                                          // CANCELLED
        StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable => 14, // UNAVAILABLE
        _ => 13,                                           // INTERNAL
    };
}
