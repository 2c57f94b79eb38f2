using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// Sends a request again, to a replica not tried yet, when forwarding it failed for a transport reason before any
/// response reached the client: a replica that stopped or crashed costs the client nothing. Sits in the proxy
/// pipeline before load balancing, so each attempt is balanced (and counted by passive health) on its own.
/// </summary>
/// <remarks>
/// Inference requests are idempotent, so "reset before the response started" is retried too, not only "refused".
/// Timeouts are not retried: a request that took too long on one replica would most likely do so on the next,
/// and would double the load while doing it.
/// </remarks>
public sealed partial class ReplicaRetry(IOptions<RoutingOptions> settings, ILogger<ReplicaRetry> logger) : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var options = settings.Value;
        var body = options.MaxAttempts > 1 ? ReplayableBody(context, options.MaxReplayableBodyBytes) : null;
        var proxy = context.GetReverseProxyFeature();
        var available = proxy.AvailableDestinations;
        List<DestinationState>? tried = null;

        for (var attempt = 1; ; attempt++)
        {
            await next();

            var error = context.GetForwarderErrorFeature();
            if (error is null || attempt >= options.MaxAttempts || !IsTransportFailure(error.Error)
                || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested
                || body?.TryRewind() == false)
            {
                return;
            }

            tried ??= [];
            if (proxy.ProxiedDestination is { } failed)
            {
                tried.Add(failed);
            }

            // Prefer replicas health checks still consider available; if every one of those failed, any other.
            var remaining = Untried(available, tried) is { Count: > 0 } healthy ? healthy : Untried(proxy.AllDestinations, tried);
            if (remaining.Count == 0)
            {
                return;
            }

            LogRetry(logger, context.Request.Path, proxy.ProxiedDestination?.DestinationId, error.Error, attempt + 1, error.Exception);
            proxy.AvailableDestinations = remaining;
            proxy.ProxiedDestination = null;
            context.Features.Set<IForwarderErrorFeature>(null);
            // No response came, so YARP only set its error status; headers earlier steps set stay.
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
    }

    /// <summary>Failures where the replica, not the client or the clock, is at fault.</summary>
    private static bool IsTransportFailure(ForwarderError error) =>
        error is ForwarderError.Request or ForwarderError.RequestBodyDestination;

    private static bool HasBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;

    /// <summary>
    /// The request body, kept so it can be sent again (the copy the response cache made, when it made one). A body
    /// declared larger than the limit keeps no copy: it can still be sent again as long as no byte of it was read (the
    /// replica refused the connection).
    /// </summary>
    private static BufferedRequestBody? ReplayableBody(HttpContext context, long limit) =>
        HasBody(context) ? BufferedRequestBody.Of(context, context.Request.ContentLength > limit ? 0 : limit) : null;

    private static List<DestinationState> Untried(IReadOnlyList<DestinationState> destinations, List<DestinationState> tried)
    {
        var untried = new List<DestinationState>(destinations.Count);
        foreach (var destination in destinations)
        {
            if (!tried.Contains(destination))
            {
                untried.Add(destination);
            }
        }

        return untried;
    }

    [LoggerMessage(LogLevel.Warning, "Forwarding {Path} to replica {Destination} failed ({Error}); attempt {Attempt} goes to another replica")]
    private static partial void LogRetry(ILogger logger, PathString path, string? destination, ForwarderError error, int attempt, Exception? exception);
}
