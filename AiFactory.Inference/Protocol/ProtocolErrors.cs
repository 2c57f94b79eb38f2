using System.Text.Json;

namespace AiFactory.Inference.Protocol;

public static class ProtocolErrors
{
    /// <summary>
    /// Real server faults still answer in the protocol's shape (<c>{"error": ...}</c>, 500); the exception itself
    /// goes to the log, not to the client.
    /// </summary>
    public static IApplicationBuilder UseProtocolErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = async context =>
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                context.Response.ContentType = "application/json";
                await JsonSerializer.SerializeAsync(context.Response.Body,
                    new ErrorResponse("internal server error; the server's log has the details"), ProtocolJsonContext.Default.ErrorResponse);
            },
        });
}
