using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// Kestrel's body limits for one request, which can be changed but not lifted. YARP lifts the body size limit and the
/// minimum body rate of every gRPC call, for streaming methods that may idle; every method of
/// <c>inference.GRPCInferenceService</c> is unary, so the gateway keeps both: a slow or oversized gRPC client is
/// dropped here, on its own connection, and never reaches a replica (where it would share a connection with others).
/// </summary>
internal sealed class KeptBodyLimits(IHttpMaxRequestBodySizeFeature size, IHttpMinRequestBodyDataRateFeature rate)
    : IHttpMaxRequestBodySizeFeature, IHttpMinRequestBodyDataRateFeature
{
    public static void Install(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { } size
            && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            var kept = new KeptBodyLimits(size, rate);
            context.Features.Set<IHttpMaxRequestBodySizeFeature>(kept);
            context.Features.Set<IHttpMinRequestBodyDataRateFeature>(kept);
        }
    }

    public bool IsReadOnly => size.IsReadOnly;

    public long? MaxRequestBodySize
    {
        get => size.MaxRequestBodySize;
        set
        {
            if (value is not null)
            {
                size.MaxRequestBodySize = value;
            }
        }
    }

    public MinDataRate? MinDataRate
    {
        get => rate.MinDataRate;
        set
        {
            if (value is not null)
            {
                rate.MinDataRate = value;
            }
        }
    }
}
