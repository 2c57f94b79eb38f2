using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Records a trace only when it starts with a request a service received (a server span); every span below follows
/// its parent's decision. Background work (the revocation poll, the usage flush, the replica heartbeat, the rate-limit
/// sweeper, YARP's active health probes, the object store monitor) starts its PostgreSQL, Redis and HTTP calls with no
/// request around them: those root spans are dropped here, in one place, instead of a suppression in every poller
/// (a new poller is quiet by default). Their metrics are unaffected: meters do not sample.
/// </summary>
public sealed class RequestRootedSampler : Sampler
{
    private static readonly SamplingResult Record = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    /// <summary>The sampler to install: a span with a parent follows it, a root span is decided here.</summary>
    public static Sampler Create() => new ParentBasedSampler(new RequestRootedSampler());

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == ActivityKind.Server ? Record : Drop;
}
