using System.Diagnostics;
using System.Net;
using System.Text;
using AiFactory.Tests.Infrastructure;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Inference;

/// <summary>
/// Attacks on an inference replica's memory, straight to the replicas of the real AppHost (in a cluster, anything
/// that reaches the pods' network can do the same; through the gateway: Gateway/HostileInput/MemoryAttackTests).
/// Each attack is answered with a clear error, and every replica stays within <see cref="Bound"/> of its warm
/// baseline, resident and committed (<see cref="MemoryWatch"/>), for the whole attack.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class MemoryAttackTests(AppHostFixture fixture)
{
    /// <summary>150 MB: far below what the attacks declare, and above a replica's own noise (JIT, pools, a GC cycle).</summary>
    public const long Bound = 150L * 1024 * 1024;

    private const string Detector = "/v2/models/text-detection/infer";

    /// <summary>About 90 bytes that declare 3×4096×5440 FP32 elements (255 MiB) and carry one.</summary>
    public static readonly string HugeShapeRequest = """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,4096,5440],"data":[0]}]}""";

    public const string HugeShapeError = "input 'x': 'data' has 1 elements but the shape holds 66846720";

    /// <summary>Inference's minimum request-body rate (AiFactory.Inference/appsettings.json, Kestrel:Limits).</summary>
    public const string TooSlowError = "the request body arrived slower than the minimum of 8192 bytes per second";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>The reproduction: it took two replicas from 180 MB to 1.7 and 2.3 GB resident.</summary>
    [Fact]
    public async Task Forty_tiny_requests_declaring_a_huge_shape_are_refused_without_allocating_it()
    {
        await WarmUpAsync();
        await using var watch = MemoryWatch.Start(fixture, AppHostFixture.InferenceReplicas);

        var answers = await Task.WhenAll(fixture.InferenceReplicaEndpoints().SelectMany(replica => Enumerable.Range(0, 40).Select(async _ =>
        {
            using var http = new HttpClient { BaseAddress = replica };
            using var response = await http.PostAsync(Detector, new StringContent(HugeShapeRequest, Encoding.UTF8, "application/json"));
            return (response.StatusCode, Error: ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        }))).WaitAsync(Timeout);

        await watch.AssertGrewAtMostAsync(Bound, "40 requests per replica declaring shape [1,3,4096,5440]");

        Assert.All(answers, answer => Assert.Equal((HttpStatusCode.BadRequest, HugeShapeError), answer));
    }

    /// <summary>
    /// A body is read into memory as its bytes arrive, never at the size its <c>Content-Length</c> declares: 40
    /// requests declaring 200 MiB each and sending 90 bytes reserve nothing, and are dropped as too slow.
    /// </summary>
    [Fact]
    public async Task Forty_requests_declaring_a_huge_body_and_sending_little_are_dropped_without_reserving_it()
    {
        await WarmUpAsync();
        var replica = fixture.InferenceReplicaEndpoints()[0];
        await using var watch = MemoryWatch.Start(fixture, AppHostFixture.InferenceReplicas[0]);
        using var deadline = new CancellationTokenSource(Timeout);

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => RawHttp.PostAsync(replica, Detector, 200L * 1024 * 1024,
            RawHttp.SendsOnly(Encoding.UTF8.GetBytes(HugeShapeRequest[..^4])), deadline.Token)));

        await watch.AssertGrewAtMostAsync(Bound, "40 requests declaring 200 MiB bodies and sending 90 bytes");

        Assert.All(answers, answer => Assert.Equal((408, TooSlowError), answer.Summary));
    }

    /// <summary>
    /// Slow senders are dropped within seconds (Kestrel:Limits:MinRequestBodyDataRate), holding no more than they sent:
    /// 20 bodies declaring 200 MiB and trickling at 1 KB/s, above Kestrel's own default minimum (240 bytes/s), which
    /// would let each hold its connection and buffer for more than two days.
    /// </summary>
    [Fact]
    public async Task Senders_trickling_their_bodies_are_dropped_within_seconds()
    {
        await WarmUpAsync();
        var replica = fixture.InferenceReplicaEndpoints()[0];
        await using var watch = MemoryWatch.Start(fixture, AppHostFixture.InferenceReplicas[0]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var started = Stopwatch.StartNew();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RawHttp.PostAsync(replica, Detector, 200L * 1024 * 1024,
            RawHttp.Trickles(100, TimeSpan.FromMilliseconds(100)), deadline.Token)));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the trickling senders were dropped after {started.Elapsed}");
        await watch.AssertGrewAtMostAsync(Bound, "20 bodies declaring 200 MiB and trickling at 1 KB/s");
        Assert.All(answers, answer => Assert.Equal((408, TooSlowError), answer.Summary));
    }

    /// <summary>
    /// Attack: 16 MiB of JSON to an endpoint that takes a few bytes of it (<c>{"ready": true}</c>), which a JSON reader
    /// would buffer whole to skip the member it does not know. Every body but an inference's is held to Kestrel's
    /// server-wide 1 MiB (Kestrel:Limits:MaxRequestBodySize) and refused before it is read.
    /// </summary>
    [Fact]
    public async Task Forty_large_bodies_to_the_repository_index_are_refused_before_they_are_read()
    {
        await WarmUpAsync();
        var replica = fixture.InferenceReplicaEndpoints()[0];
        await using var watch = MemoryWatch.Start(fixture, AppHostFixture.InferenceReplicas[0]);
        var body = Encoding.UTF8.GetBytes($$"""{"ready":true,"padding":"{{new string('x', 16 * 1024 * 1024)}}"}""");
        using var deadline = new CancellationTokenSource(Timeout);

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => RawHttp.PostAsync(replica, "/v2/repository/index", body.Length,
            async (stream, cancellationToken) => await stream.WriteAsync(body, cancellationToken), deadline.Token)));

        await watch.AssertGrewAtMostAsync(Bound, "40 bodies of 16 MiB to /v2/repository/index");
        Assert.All(answers, answer => Assert.Equal((413, "the request body is larger than the limit of 1048576 bytes"), answer.Summary));
    }

    /// <summary>Runs a few real requests on every replica, so the baseline holds what serving needs anyway.</summary>
    private async Task WarmUpAsync()
    {
        foreach (var replica in fixture.InferenceReplicaEndpoints())
        {
            using var http = new HttpClient { BaseAddress = replica };
            for (var i = 0; i < 3; i++)
            {
                using var response = await http.PostAsync(Detector, Json("x", [1, 3, 32, 32], new float[3 * 32 * 32])).WaitAsync(Timeout);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
    }

}
