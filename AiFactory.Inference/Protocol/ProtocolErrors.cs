using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace AiFactory.Inference.Protocol;

public static class ProtocolErrors
{
    /// <summary>
    /// Real server faults still answer in the protocol's shape (<c>{"error": ...}</c>, 500); the exception itself
    /// goes to the log, not to the client. A body that broke one of Kestrel's limits (too large, too slow) is the
    /// client's error, with its status.
    /// </summary>
    public static IApplicationBuilder UseProtocolErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = async context =>
            {
                var (status, message) = ServerLimits.BodyLimitError(context, context.Features.Get<IExceptionHandlerFeature>()?.Error)
                    ?? (StatusCodes.Status500InternalServerError, "internal server error; the server's log has the details");
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/json";
                await JsonSerializer.SerializeAsync(context.Response.Body, new ErrorResponse(message), ProtocolJsonContext.Default.ErrorResponse);
            },
        });
}
