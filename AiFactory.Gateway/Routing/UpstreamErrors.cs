using AiFactory.Gateway.Errors;
using Yarp.ReverseProxy.Forwarder;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// When no inference replica answers, the client still gets the protocol's error shape with a status that says what
/// happened, instead of YARP's empty 502: <c>{"error": ...}</c> for REST, a gRPC status for gRPC calls (YARP itself
/// answers those with an HTTP 502, which gRPC clients can only report as a bare UNAVAILABLE "Bad gateway").
/// </summary>
public sealed class UpstreamErrors : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted)
        {
            return;
        }

        // Kestrel's body limits (too large, too slow) surface inside YARP's request-body error.
        if (ServerLimits.BodyLimitError(context, error.Exception) is var (bodyStatus, bodyMessage))
        {
            await GatewayErrors.WriteAsync(context, bodyStatus, bodyMessage);
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
        await GatewayErrors.WriteAsync(context, status, message);
    }
}
