using System.Text.Json;
using Yarp.ReverseProxy.Forwarder;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// When no inference replica answers, the client still gets the protocol's error shape with a status that says what
/// happened, instead of YARP's empty 502: <c>{"error": ...}</c> for REST, a gRPC status for gRPC calls (YARP itself
/// answers those with an HTTP 502, which gRPC clients can only report as a bare UNAVAILABLE "Bad gateway").
/// </summary>
public static class UpstreamErrors
{
    public static async Task WriteProtocolErrorAsync(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted)
        {
            return;
        }

        if (IsBodyTooLarge(error.Exception))
        {
            await RequestBodyLimit.WriteTooLargeAsync(context,
                context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes);
            return;
        }

        var (status, message) = error.Error switch
        {
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, "the inference service did not answer in time"),
            ForwarderError.NoAvailableDestinations => (StatusCodes.Status503ServiceUnavailable, "no inference replica is available"),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => (499, "the client closed the request"),
            ForwarderError.RequestBodyClient => (StatusCodes.Status400BadRequest, "the request body could not be read"),
            _ => (StatusCodes.Status502BadGateway, "the inference service could not be reached"),
        };
        await WriteAsync(context, status, message);
    }

    /// <summary>Kestrel's body limit surfaces inside YARP's request-body error; look through the wrapping.</summary>
    private static bool IsBodyTooLarge(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes <c>{"error": message}</c> with <paramref name="status"/>, or its gRPC equivalent for a gRPC call.</summary>
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

    private static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// A trailers-only response: HTTP 200 whose headers carry <c>grpc-status</c> and <c>grpc-message</c>, the way a
    /// gRPC server reports a call that failed before any message.
    /// </summary>
    private static void WriteGrpcStatus(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = GrpcStatusCode(status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }

    // https://github.com/grpc/grpc/blob/master/doc/statuscodes.md, and the HTTP mapping of doc/http-grpc-status-mapping.md.
    private static int GrpcStatusCode(int httpStatus) => httpStatus switch
    {
        499 => 1, // CANCELLED
        StatusCodes.Status400BadRequest => 13, // INTERNAL: the call's framing could not be read
        StatusCodes.Status413PayloadTooLarge => 8, // RESOURCE_EXHAUSTED
        StatusCodes.Status504GatewayTimeout => 4, // DEADLINE_EXCEEDED
        _ => 14, // UNAVAILABLE: no replica reachable, safe for the client to retry
    };
}
