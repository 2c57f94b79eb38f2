using AiFactory.Inference.Protocol;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Grpc;

/// <summary>
/// Kestrel's server-wide limits fit the REST endpoint; a gRPC call gets its own:
/// <list type="bullet">
/// <item>Body size: Kestrel's limit (<c>Kestrel:Limits:MaxRequestBodySize</c>) is sized for the small JSON of the other
/// endpoints, and Kestrel applies it to unary gRPC calls too. A call gets <see cref="InferenceOptions.MaxRequestBodyBytes"/>
/// and its message's frame header instead: the same bound as gRPC's own <c>MaxReceiveMessageSize</c>.</item>
/// <item>No minimum body rate: over HTTP/2 Kestrel enforces it per connection and aborts the whole connection, and the
/// gateway carries many clients' calls on one. A slow client would take the calls of everyone sharing its connection
/// with it; the gateway drops slow senders itself, on their own connections.</item>
/// </list>
/// </summary>
public static class GrpcRequestLimits
{
    private const int FrameHeaderBytes = 5;

    public static IApplicationBuilder UseGrpcRequestLimits(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = context.RequestServices.GetRequiredService<IOptions<InferenceOptions>>().Value.MaxRequestBodyBytes + (long)FrameHeaderBytes;
            }

            if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
            {
                rate.MinDataRate = null;
            }
        }

        return next(context);
    });
}
