using System.Diagnostics;
using System.Globalization;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Caching;
using AiFactory.Gateway.Canary;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Metering;
using AiFactory.Gateway.Routing;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// Picks the version that serves each request for a model (inference, metadata, readiness; REST and gRPC), and the
/// replicas that may take it:
/// <list type="bullet">
/// <item>No version named, and the model has a traffic policy: the caller's sticky point (<see cref="StickyRouting"/>:
/// its key id and the model) picks a version by the observed weights, and the request is rewritten to name it (the
/// REST path; a gRPC message gets field 2, <see cref="GrpcVersionField"/>), so the response cache, metering and
/// inference all see that version. None serving anywhere: 503.</item>
/// <item>A version named: it goes to the replicas that serve it; none does: 503 naming the version (a version no
/// replica has ever heard of, of a model without policy, is left for inference to answer 404).</item>
/// <item>No policy: forwarded unchanged (inference serves its newest ready version: the folder mode).</item>
/// </list>
/// Every answer names the version (<c>x-aifactory-model-version</c>, errors included). Each inference request is then
/// counted per version that answered (<see cref="RolloutMetrics"/>), and those the split sent go into the rollout
/// window the automatic rollback judges and the series the console charts (<see cref="CanarySeries"/>).
/// </summary>
public sealed class TrafficSplitStep(
    ObservedTrafficView traffic,
    TrafficPolicies policies,
    RolloutWindow window,
    CanarySeries series,
    RolloutMetrics metrics,
    IOptions<ModelAccessOptions> access) : IProxyStep
{
    private const string ToChooseTheVersion = "to choose the version its traffic policy serves";

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (OipTarget.Of(context) is not { Operation: OipOperation.ModelInfer or OipOperation.ModelMetadata or OipOperation.ModelReady } target)
        {
            await next();
            return;
        }

        if (target.Model is null)
        {
            // A gRPC call names its model in its message, read already for a key with an allow-list. Without any
            // policy (the folder mode) the gateway has nothing to choose, and lets the call stream.
            if (!policies.AllInForce.Any())
            {
                await next();
                return;
            }

            var parse = await GrpcModelTarget.ReadAsync(context, target, access.Value.MaxGrpcMessageBytes, ToChooseTheVersion);
            if (parse.Refusal is { } refusal)
            {
                await refusal.WriteAsync(context);
                return;
            }

            target = parse.Target!;
        }

        var proxy = context.GetReverseProxyFeature();
        var cluster = proxy.Cluster?.Config.ClusterId ?? ReplicaStateMonitor.Clusters[0];
        var model = target.Model!;
        (long PolicyId, int Version)? split = null;
        if (target.Version is { } named)
        {
            if (!RouteTo(proxy, cluster, model, named) && (traffic.HasPolicy(model) || traffic.IsKnown(cluster, model, named)))
            {
                await NotServedAsync(context, model, named);
                return;
            }
        }
        else if (traffic.Observe(model) is { } observed)
        {
            var version = StickyRouting.Pick(observed.Weights, StickyRouting.PointOf(context.GetApiKey()?.Id ?? "", model));
            var text = version.ToString(CultureInfo.InvariantCulture);
            Name(context, target with { Version = text });
            if (!RouteTo(proxy, cluster, model, text))
            {
                await NotServedAsync(context, model, text);
                return;
            }

            split = (observed.PolicyId, version);
        }
        else if (traffic.HasPolicy(model))
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"no version of model '{model}' in its traffic policy is ready on any available replica");
            return;
        }

        if (OipTarget.Of(context)?.Version is { } routed)
        {
            // Inference names the version on its answers, not on its errors: a caller of a failing canary learns which.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.TryAdd(MeteringStep.ModelVersionHeader, routed);
                return Task.CompletedTask;
            });
        }

        if (target.Operation != OipOperation.ModelInfer)
        {
            await next();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await next();
        }
        finally
        {
            Count(context, target, OipTarget.Of(context)?.Version, split, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Rewrites the request to name <paramref name="named"/>'s version, and records it for the steps after.</summary>
    private static void Name(HttpContext context, OipTarget named)
    {
        var request = context.Request;
        if (named.IsGrpc)
        {
            request.Body = GrpcVersionField.Append(request.Body, named.Version!, out var added);
            request.ContentLength += added;
        }
        else
        {
            var action = named.Operation switch
            {
                OipOperation.ModelInfer => "/infer",
                OipOperation.ModelReady => "/ready",
                _ => "",
            };
            request.Path = $"/v2/models/{named.Model}/versions/{named.Version}{action}";
        }

        OipTarget.Record(context, new OipParse(named, null));
    }

    /// <summary>
    /// Leaves <paramref name="proxy"/> only the replicas that serve the version; false when the gateway knows the
    /// replicas and none does (true, and nothing changed, when it knows nothing of them).
    /// </summary>
    private bool RouteTo(IReverseProxyFeature proxy, string cluster, string model, string version)
    {
        if (traffic.Serving(cluster, model, version) is not { } serving)
        {
            return true;
        }

        proxy.AvailableDestinations = [.. proxy.AvailableDestinations.Where(destination => serving.Contains(destination))];
        return proxy.AvailableDestinations.Count > 0;
    }

    private static Task NotServedAsync(HttpContext context, string model, string version) =>
        GatewayErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, $"version {version} of model '{model}' is not ready on any available replica");

    private void Count(HttpContext context, OipTarget target, string? routedVersion, (long PolicyId, int Version)? split, TimeSpan duration)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return; // the caller left: says nothing of the version
        }

        var outcome = RequestOutcome.Of(context, target.IsGrpc);
        var version = context.Response.Headers[MeteringStep.ModelVersionHeader].ToString() is { Length: > 0 } served ? served : routedVersion;
        if (version is not null)
        {
            metrics.Request(target.Model!, version, outcome, duration);
        }

        // A cached answer says nothing of how the version serves now.
        if (split is { } routed && context.Response.Headers[ResponseCacheStep.CacheHeader] != "hit")
        {
            window.Record(target.Model!, routed.PolicyId, routed.Version, outcome == RequestOutcome.ServerError, duration);
            series.Record(target.Model!, routed.Version, outcome == RequestOutcome.ServerError, duration);
        }
    }
}
