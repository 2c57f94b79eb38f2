using Microsoft.AspNetCore.Diagnostics;

namespace AiFactory.Inference.Protocol.Rest;

/// <summary>
/// The REST edge's one place for errors: every refusal answers <c>{"error": "..."}</c> with the status of its
/// <see cref="InferenceErrorKind"/>. A body that broke one of Kestrel's limits is the client's error too (413 too
/// large, 408 too slow); anything else is a server fault, answered 500 without its details (the log has them).
/// </summary>
public static class InferenceErrorHandler
{
    public const string InternalErrorMessage = "internal server error; the server's log has the details";

    /// <summary>Answers every exception a request ends with; only server faults are logged as errors.</summary>
    public static IApplicationBuilder UseInferenceErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context =>
            {
                var (status, message) = Answer(context, context.Features.Get<IExceptionHandlerFeature>()?.Error);
                context.Response.StatusCode = status;
                return context.Response.WriteAsJsonAsync(new ErrorResponse(message), ProtocolJsonContext.Default.ErrorResponse);
            },
            // A refusal (bad input, an unknown model, a full queue, a body over Kestrel's limits) is answered, not logged
            // as a fault: under load the 503s alone would flood the log. Only server faults reach it.
            SuppressDiagnosticsCallback = context =>
                Answer(context.HttpContext, context.Exception).Status != StatusCodes.Status500InternalServerError,
        });

    public static int StatusOf(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        InferenceErrorKind.NotFound => StatusCodes.Status404NotFound,
        InferenceErrorKind.ResourceExhausted => StatusCodes.Status413PayloadTooLarge,
        InferenceErrorKind.DeadlineExceeded => StatusCodes.Status408RequestTimeout,
        InferenceErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        InferenceErrorKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static (int Status, string Message) Answer(HttpContext context, Exception? exception) => exception switch
    {
        InferenceError error => (StatusOf(error.Kind), error.Message),
        _ => ServerLimits.BodyLimitError(context, exception) ?? (StatusCodes.Status500InternalServerError, InternalErrorMessage),
    };
}
