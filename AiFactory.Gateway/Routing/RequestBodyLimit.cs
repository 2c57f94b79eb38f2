using AiFactory.Gateway.Errors;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// Refuses bodies over <see cref="GatewayOptions.MaxRequestBodyBytes"/> with 413: at once when Content-Length says
/// so, and through Kestrel's limit for chunked bodies (reported by <see cref="UpstreamErrors"/>).
/// </summary>
public static class RequestBodyLimit
{
    public static async Task EnforceAsync(HttpContext context, Func<Task> next)
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await WriteTooLargeAsync(context, limit);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        await next();
    }

    public static Task WriteTooLargeAsync(HttpContext context, long limit) =>
        GatewayErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the limit of {limit} bytes");
}
