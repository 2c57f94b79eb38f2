using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace AiFactory.Tests.ServiceDefaults;

/// <summary>
/// The rule that keeps background work out of tracing (the AppHost's TracingTests show its effect end to end): a trace
/// starts only with a request a service received; below it, every span follows its parent.
/// </summary>
public sealed class RequestRootedSamplerTests
{
    private static readonly Sampler Sampler = RequestRootedSampler.Create();

    [Theory]
    [InlineData(ActivityKind.Server, SamplingDecision.RecordAndSample)]
    [InlineData(ActivityKind.Client, SamplingDecision.Drop)]
    [InlineData(ActivityKind.Internal, SamplingDecision.Drop)]
    [InlineData(ActivityKind.Producer, SamplingDecision.Drop)]
    public void A_trace_starts_only_with_a_received_request(ActivityKind kind, SamplingDecision expected)
    {
        var decision = Sampler.ShouldSample(new SamplingParameters(default, ActivityTraceId.CreateRandom(), "span", kind)).Decision;

        Assert.Equal(expected, decision);
    }

    [Theory]
    [InlineData(ActivityTraceFlags.Recorded, ActivityKind.Client, SamplingDecision.RecordAndSample)]
    [InlineData(ActivityTraceFlags.None, ActivityKind.Server, SamplingDecision.Drop)]
    public void A_span_below_a_request_follows_its_parent(ActivityTraceFlags parentFlags, ActivityKind kind, SamplingDecision expected)
    {
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), parentFlags, isRemote: true);

        var decision = Sampler.ShouldSample(new SamplingParameters(parent, parent.TraceId, "span", kind)).Decision;

        Assert.Equal(expected, decision);
    }
}
