using System.Security.Cryptography;
using System.Text;
using AiFactory.Gateway.Metering;
using AiFactory.Gateway.Routing;
using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Yarp.ReverseProxy.Forwarder;

namespace AiFactory.Gateway.Caching;

/// <summary>
/// Answers a repeated inference request from Redis (<c>x-aifactory-cache: hit</c>) and keeps successful answers
/// (<c>miss</c>). <c>Cache-Control: no-cache</c> skips the cache both ways. A cache failure never fails a request:
/// the request is forwarded as if the cache were off.
/// </summary>
public sealed class ResponseCacheStep(
    ResponseCache cache,
    ModelVersionResolver resolver,
    IOptions<ResponseCacheOptions> options,
    GatewayMetrics metrics,
    RedisFailureReporter redisFailures,
    ILogger<ResponseCacheStep> logger) : IProxyStep
{
    public const string CacheHeader = "x-aifactory-cache";
    private const string InferenceHeaderLength = "Inference-Header-Content-Length";
    private static readonly string[] KeptHeaders = ["Content-Type", InferenceHeaderLength, MeteringStep.ModelVersionHeader];

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var settings = options.Value;
        var request = context.Request;
        if (!settings.Enabled || OipTarget.Of(context) is not { Operation: OipOperation.ModelInfer, IsGrpc: false, Model: { } model } target
            || !HttpMethods.IsPost(request.Method) || request.ContentLength is not { } length || length > settings.MaxRequestBytes || OptsOut(request))
        {
            await next();
            return;
        }

        var version = target.Version;

        // Which version serves the model is asked now, while the body is read.
        var versionLookup = version is null ? ResolveVersionAsync(model, context.RequestAborted) : Task.FromResult<string?>(version);
        // The whole body is needed for its hash; the forwarder (and a retry) then send it from the same copy. A body
        // the gateway has no room for right now is forwarded as it streams, uncached.
        var body = BufferedRequestBody.Of(context, settings.MaxRequestBytes);
        using var hash = RequestHash(request.Headers[InferenceHeaderLength].ToString());
        if (!await body.BufferAsync(length, hash, context.RequestAborted))
        {
            await next();
            return;
        }

        await ServeAsync(context, next, settings, model, await versionLookup, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private async Task ServeAsync(HttpContext context, Func<Task> next, ResponseCacheOptions settings, string model, string? version, string bodyHash)
    {
        if (version is null)
        {
            await next();
            return;
        }

        var key = ResponseCache.KeyOf(model, version, bodyHash);
        Lease<byte>? hit;
        try
        {
            hit = await cache.GetAsync(key);
        }
        catch (Exception e) when (RedisFailureReporter.IsRedisFailure(e))
        {
            redisFailures.Report("cache lookup", e, "Requests are forwarded uncached");
            metrics.CacheLookup("error");
            await next();
            return;
        }

        metrics.CacheLookup(hit is null ? "miss" : "hit");
        if (hit is not null)
        {
            using (hit)
            {
                await WriteAsync(context, CachedResponse.Deserialize(hit.Memory));
            }

            return;
        }

        context.Response.Headers[CacheHeader] = "miss";
        var original = context.Response.Body;
        var capture = new CapturingStream(original, settings.MaxEntryBytes);
        context.Response.Body = capture;
        try
        {
            await next();
        }
        finally
        {
            context.Response.Body = original;
        }

        if (context.Response.StatusCode == StatusCodes.Status200OK && context.GetForwarderErrorFeature() is null
            && capture.Captured is { } captured)
        {
            // The answer is the version that served it: store it there, whatever the lookup assumed.
            var served = context.Response.Headers[MeteringStep.ModelVersionHeader].ToString();
            var storeKey = served.Length > 0 && served != version ? ResponseCache.KeyOf(model, served, bodyHash) : key;
            // The captured bytes themselves: nothing writes to the capture any more.
            var entry = new CachedResponse(StatusCodes.Status200OK, KeptHeadersOf(context.Response), captured);
            await context.Response.CompleteAsync();
            await StoreAsync(storeKey, entry, settings.TimeToLive);
        }
    }

    /// <summary>
    /// The request's identity, begun: where its JSON ends (the same bytes split differently are another request),
    /// then its body, fed as it arrives.
    /// </summary>
    private static IncrementalHash RequestHash(string headerLength)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{headerLength}\n"));
        return hash;
    }

    private static bool OptsOut(HttpRequest request) =>
        request.Headers.CacheControl.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase);

    private async Task<string?> ResolveVersionAsync(string model, CancellationToken cancellationToken)
    {
        try
        {
            return await resolver.ResolveAsync(model, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or System.Text.Json.JsonException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Forwarding will meet the same trouble and report it; the cache just stays out of the way.
            logger.LogDebug(e, "Could not resolve the version of {Model}; not caching", model);
            return null;
        }
    }

    private async Task StoreAsync(string key, CachedResponse entry, TimeSpan timeToLive)
    {
        try
        {
            await cache.SetAsync(key, entry, timeToLive);
        }
        catch (Exception e) when (RedisFailureReporter.IsRedisFailure(e))
        {
            redisFailures.Report("cache store", e, "Answers are not cached");
        }
    }

    private static List<KeyValuePair<string, string>> KeptHeadersOf(HttpResponse response) =>
        [.. KeptHeaders.Where(name => response.Headers.ContainsKey(name)).Select(name => KeyValuePair.Create(name, response.Headers[name].ToString()))];

    private static async Task WriteAsync(HttpContext context, CachedResponse hit)
    {
        var response = context.Response;
        response.StatusCode = hit.Status;
        foreach (var (name, value) in hit.Headers)
        {
            response.Headers[name] = value;
        }

        response.Headers[CacheHeader] = "hit";
        response.ContentLength = hit.Body.Length;
        await response.Body.WriteAsync(hit.Body, context.RequestAborted);
    }
}
