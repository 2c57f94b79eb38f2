using System.Text.Json;

namespace AiFactory.Gateway.Errors;

/// <summary>
/// Requests ASP.NET Core cannot read (a JSON body that does not fit the endpoint's shape, a body that ends before its
/// Content-Length) answered in the protocol's error shape, <c>{"error"}</c>, naming what is wrong (for JSON, the
/// path of the field), instead of an empty 400.
/// </summary>
public static class BadRequestErrors
{
    /// <summary>Makes minimal APIs throw what they cannot bind, for <see cref="UseBadRequestErrors"/> to answer.</summary>
    public static IServiceCollection AddBadRequestErrors(this IServiceCollection services) =>
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);

    public static IApplicationBuilder UseBadRequestErrors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await GatewayErrors.WriteAsync(context, e.StatusCode, e.InnerException is JsonException json
                ? $"the request body does not have the expected shape: {json.Message}"
                : $"the request could not be read: {e.Message}");
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (mid-upload, say): there is no one to answer.
        }
    });
}
