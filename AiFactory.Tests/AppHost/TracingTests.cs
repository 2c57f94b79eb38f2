using System.Net;
using AiFactory.Tests.Infrastructure;
using AiFactory.Tests.Infrastructure.Otlp;

namespace AiFactory.Tests.AppHost;

/// <summary>
/// What an operator sees in the tracing backend (here a real OTLP collector, <see cref="OtlpReceiver"/>): the users'
/// requests, each one trace across gateway and inference, and nothing from the background work that polls all the time.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class TracingTests(AppHostFixture fixture)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExportWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The words: an idle minute. It spans every poller many times over (revocation poll 500 ms, active health
    /// probes 1 s, model folder 2 s, usage flush, replica heartbeat and address refresh 5 s, object store probe 10 s).
    /// </summary>
    private static readonly TimeSpan IdleWindow = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Long enough for the spans of anything that ran before to be exported: every 200 ms in the AppHost tests, but the
    /// StackExchange.Redis instrumentation hands a request's Redis spans over only when it drains its profiling
    /// sessions, every 10 s.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_users_infer_request_is_one_trace_with_gateway_and_inference_spans_naming_model_version_and_key_id()
    {
        using var admin = fixture.CreateGatewayClient();
        var (keyId, key) = await admin.CreateKeyAsync("tracing-user", ["infer"]);
        using var gateway = fixture.CreateGatewayClient(key);

        using var response = await gateway.PostAsync($"/v2/models/{SampleModels.TextDirection}/infer",
            OipRequests.Json(SampleModels.TextDirectionInput, [1, 3, 48, 192], SampleModels.RandomImage(seed: 3, 1, 3, 48, 192))).WaitAsync(RequestTimeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var version = response.Headers.GetValues("x-aifactory-model-version").Single();

        var gatewaySpan = await WaitForSpanAsync(span => span.Service == "gateway" && span.Kind == SpanKind.Server
            && span.Attributes.GetValueOrDefault("aifactory.api_key.id") == keyId, "the gateway's span of the request");
        Assert.Equal(SampleModels.TextDirection, gatewaySpan.Attributes.GetValueOrDefault("aifactory.model.name"));
        Assert.Equal(version, gatewaySpan.Attributes.GetValueOrDefault("aifactory.model.version"));

        // The POST: the gateway also asks inference for the model's metadata (GET) within the same trace, to key its cache.
        var inferenceSpan = await WaitForSpanAsync(span => span.TraceId == gatewaySpan.TraceId && span.Kind == SpanKind.Server
            && AppHostFixture.InferenceReplicas.Contains(span.Service) && span.Name.StartsWith("POST ", StringComparison.Ordinal),
            "an inference replica's span of the infer request in the gateway's trace");
        Assert.Equal(SampleModels.TextDirection, inferenceSpan.Attributes.GetValueOrDefault("aifactory.model.name"));
        Assert.Equal(version, inferenceSpan.Attributes.GetValueOrDefault("aifactory.model.version"));

        // One trace: no span of this request's model and key started a trace of its own.
        var traces = fixture.Traces.Spans
            .Where(span => span.Attributes.GetValueOrDefault("aifactory.api_key.id") == keyId
                           || (span.Attributes.GetValueOrDefault("aifactory.model.name") == SampleModels.TextDirection && span.TraceId == inferenceSpan.TraceId))
            .Select(span => span.TraceId).Distinct().ToArray();
        Assert.Equal([gatewaySpan.TraceId], traces);
        Assert.Equal(gatewaySpan.SpanId, ParentChainRoot(inferenceSpan).SpanId);
    }

    [Fact]
    public async Task An_idle_minute_produces_no_traces()
    {
        await Task.Delay(Settle);
        var idleSince = DateTimeOffset.UtcNow;
        var earlierTraces = fixture.Traces.Spans.Select(span => span.TraceId).ToHashSet();

        await Task.Delay(IdleWindow);

        // A late span of a request made before the window belongs to that request's trace: it is no new trace.
        var received = fixture.Traces.Spans.Where(span => span.ReceivedAt >= idleSince && !earlierTraces.Contains(span.TraceId)).ToArray();
        Assert.True(received.Length == 0,
            $"{received.Length} spans in {received.Select(span => span.TraceId).Distinct().Count()} traces while nobody called: "
            + string.Join("; ", received.GroupBy(span => $"{span.Service} {span.Kind} {span.Name}").Select(group => $"{group.Count()}× {group.Key}").Take(20)));
    }

    /// <summary>Walks <paramref name="span"/>'s parents as far as the received spans go: the span its trace started with.</summary>
    private ReceivedSpan ParentChainRoot(ReceivedSpan span)
    {
        var byId = fixture.Traces.Spans.Where(other => other.TraceId == span.TraceId).ToDictionary(other => other.SpanId);
        while (span.ParentSpanId.Length > 0 && byId.TryGetValue(span.ParentSpanId, out var parent))
        {
            span = parent;
        }

        return span;
    }

    private async Task<ReceivedSpan> WaitForSpanAsync(Func<ReceivedSpan, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + ExportWait;
        while (true)
        {
            if (fixture.Traces.Spans.FirstOrDefault(match) is { } span)
            {
                return span;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no span received within {ExportWait}: {what}");
            await Task.Delay(200);
        }
    }
}
