using AiFactory.Gateway.Errors;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// Refuses bodies over <see cref="GatewayOptions.MaxRequestBodyBytes"/> with 413: at once when Content-Length says
/// so, and through Kestrel's limit for chunked bodies (reported by <see cref="UpstreamErrors"/> when the forwarder
/// reads them), gRPC calls included (<see cref="KeptBodyLimits"/>). A body a later step reads itself (the response cache) and that breaks one of Kestrel's limits, too
/// large or too slow, is answered here with its status and the protocol's error.
/// </summary>
public sealed class RequestBodyLimit(IOptions<GatewayOptions> options) : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var limit = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await WriteTooLargeAsync(context, limit);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (GatewayErrors.IsGrpc(context.Request))
        {
            KeptBodyLimits.Install(context);
        }

        try
        {
            await next();
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var (status, message) = ServerLimits.BodyLimitError(context, e) ?? (e.StatusCode, e.Message);
            await GatewayErrors.WriteAsync(context, status, message);
        }
    }

    private static Task WriteTooLargeAsync(HttpContext context, long limit) =>
        GatewayErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the limit of {limit} bytes");
}
