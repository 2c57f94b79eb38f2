using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Aspire.Hosting.Testing;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Tests.Infrastructure;
using Google.Protobuf;
using static AiFactory.Tests.Infrastructure.OipRequests;
using InferenceAttacks = AiFactory.Tests.Inference.MemoryAttackTests;

namespace AiFactory.Tests.Gateway.HostileInput;

/// <summary>
/// Attacks on memory through the gateway of the real AppHost, with the bootstrap admin key (any key with the
/// <c>infer</c> scope can make them). Each is answered with a clear error, and the gateway and both inference replicas
/// stay within <see cref="InferenceAttacks.Bound"/> (150 MB) of their warm baselines, resident and committed
/// (<see cref="MemoryWatch"/>), for the whole attack.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class MemoryAttackTests(AppHostFixture fixture)
{
    private const string Detector = "/v2/models/text-detection/infer";

    /// <summary>The gateway's minimum request-body rate (AiFactory.Gateway/appsettings.json, Kestrel:Limits).</summary>
    private const string TooSlowError = "the request body arrived slower than the minimum of 16384 bytes per second";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private static readonly string[] Everything = ["gateway", .. AppHostFixture.InferenceReplicas];

    /// <summary>The reproduction through the front door: the gateway forwards each to a replica.</summary>
    [Fact]
    public async Task Forty_tiny_requests_declaring_a_huge_shape_are_refused_without_allocating_it()
    {
        using var gateway = fixture.CreateGatewayClient();
        await WarmUpAsync(gateway);
        await using var watch = MemoryWatch.Start(fixture, Everything);

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await gateway.PostAsync(Detector, new StringContent(InferenceAttacks.HugeShapeRequest, Encoding.UTF8, "application/json"));
            return (response.StatusCode, Error: ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        })).WaitAsync(Timeout);

        await watch.AssertGrewAtMostAsync(InferenceAttacks.Bound, "40 requests through the gateway declaring shape [1,3,4096,5440]");

        Assert.All(answers, answer => Assert.Equal((HttpStatusCode.BadRequest, InferenceAttacks.HugeShapeError), answer));
    }

    /// <summary>
    /// 16 MiB is a body the response cache would hash and the retry would keep: the gateway reads it into memory
    /// as its bytes arrive, never at its declared size, so 40 requests that send 90 bytes of it reserve nothing.
    /// </summary>
    [Fact]
    public async Task Forty_requests_declaring_a_large_body_and_sending_little_are_dropped_without_reserving_it()
    {
        using var gateway = fixture.CreateGatewayClient();
        await WarmUpAsync(gateway);
        await using var watch = MemoryWatch.Start(fixture, Everything);
        using var deadline = new CancellationTokenSource(Timeout);

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => RawHttp.PostAsync(GatewayAddress, Detector, 16L * 1024 * 1024,
            RawHttp.SendsOnly(Encoding.UTF8.GetBytes(InferenceAttacks.HugeShapeRequest[..^4])), deadline.Token, fixture.AdminKey)));

        await watch.AssertGrewAtMostAsync(InferenceAttacks.Bound, "40 requests through the gateway declaring 16 MiB bodies and sending 90 bytes");

        Assert.All(answers, answer => Assert.Equal((408, TooSlowError), answer.Summary));
    }

    /// <summary>
    /// 20 bodies declaring 16 MiB (the cache would buffer them) and trickling at 1 KB/s: above Kestrel's default
    /// minimum of 240 bytes/s, so without the gateway's own each would hold its connection and buffer for hours.
    /// </summary>
    [Fact]
    public async Task Senders_trickling_their_bodies_are_dropped_within_seconds()
    {
        using var gateway = fixture.CreateGatewayClient();
        await WarmUpAsync(gateway);
        await using var watch = MemoryWatch.Start(fixture, Everything);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var started = Stopwatch.StartNew();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RawHttp.PostAsync(GatewayAddress, Detector, 16L * 1024 * 1024,
            RawHttp.Trickles(100, TimeSpan.FromMilliseconds(100)), deadline.Token, fixture.AdminKey)));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the trickling senders were dropped after {started.Elapsed}");
        await watch.AssertGrewAtMostAsync(InferenceAttacks.Bound, "20 bodies through the gateway declaring 16 MiB and trickling at 1 KB/s");
        Assert.All(answers, answer => Assert.Equal((408, TooSlowError), answer.Summary));
    }

    /// <summary>
    /// The same over gRPC: a message declaring 1 MiB in its frame and trickling at 1 KB/s. YARP lifts Kestrel's minimum
    /// rate for gRPC calls; the gateway keeps it. Over HTTP/2 Kestrel drops a slow sender by closing its connection,
    /// so the client sees its connection end (no status can be sent on it), and the gateway serves the next call.
    /// </summary>
    [Fact]
    public async Task A_grpc_sender_trickling_its_message_is_dropped_within_seconds()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.App.GetEndpoint("gateway", "grpc"), "/inference.GRPCInferenceService/ModelInfer"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new TricklingGrpcMessage(),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.AdminKey);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        var started = Stopwatch.StartNew();

        var dropped = await Assert.ThrowsAsync<HttpRequestException>(() => http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead));

        // Kestrel ends the connection with an HTTP/2 INTERNAL_ERROR; whether the client reads that frame before the
        // socket closes decides which of the two it reports.
        Assert.Contains(dropped.HttpRequestError, new[] { HttpRequestError.HttpProtocolError, HttpRequestError.ResponseEnded });
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the trickling sender was dropped after {started.Elapsed}");
        using var channel = fixture.CreateGatewayGrpcChannel();
        var ready = await new AiFactory.Inference.Grpc.Protocol.GRPCInferenceService.GRPCInferenceServiceClient(channel)
            .ModelReadyAsync(new AiFactory.Inference.Grpc.Protocol.ModelReadyRequest { Name = SampleModels.TextDetection }, deadline: DateTime.UtcNow.Add(Timeout));
        Assert.True(ready.Ready);
    }

    /// <summary>
    /// ASP.NET Core spools request bodies past 64 KB to files named ASPNETCORE_* when asked to buffer them
    /// (EnableBuffering, form reading): the gateway must hold none open while large bodies pass through it, whether
    /// the response cache reads them (8 MiB) or they stream past it (24 MiB).
    /// </summary>
    [Theory]
    [InlineData(8)]
    [InlineData(24)]
    public async Task A_large_request_body_is_never_spooled_to_disk(int megabytes)
    {
        using var gateway = fixture.CreateGatewayClient();
        using var gatewayProcess = fixture.ProcessOf("gateway");
        var spooled = new List<string>();
        // A valid request with a large member inference skips: the body is large, the work small.
        var body = Encoding.UTF8.GetBytes($$"""{"padding":"{{new string('x', megabytes * 1024 * 1024)}}","inputs":[{"name":"x","datatype":"FP32","shape":[1,3,32,32],"data":[{{string.Join(',', new int[3 * 32 * 32])}}]}]}""");
        var content = new StreamContent(new ObservedStream(body, () => spooled.AddRange(OpenTemporaryFiles(gatewayProcess.Id))));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await gateway.PostAsync(Detector, content).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(spooled);
    }

    private Uri GatewayAddress => fixture.App.GetEndpoint("gateway", "http");

    /// <summary>
    /// The same for gRPC, where the gateway reads the message itself (a key with a model allow-list): an 8 MiB message
    /// is held in memory, checked and forwarded, never spooled.
    /// </summary>
    [Fact]
    public async Task A_large_grpc_message_is_never_spooled_to_disk()
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync("spool-probe", ["infer"], models: [SampleModels.TextDetection]);
        using var gatewayProcess = fixture.ProcessOf("gateway");
        var spooled = new List<string>();
        var message = new ModelInferRequest { ModelName = SampleModels.TextDetection };
        message.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, 3, 32, 32 } });
        message.RawInputContents.Add(ByteString.CopyFrom(new byte[8 * 1024 * 1024]));
        var frame = new byte[5 + message.CalculateSize()];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)(frame.Length - 5));
        message.WriteTo(frame.AsSpan(5));
        using var http = new HttpClient { Timeout = Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.App.GetEndpoint("gateway", "grpc"), "/inference.GRPCInferenceService/ModelInfer"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StreamContent(new ObservedStream(frame, () => spooled.AddRange(OpenTemporaryFiles(gatewayProcess.Id)))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.TryAddWithoutValidation("te", "trailers");

        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();

        // Inference saw the whole message: it refuses it for its size, naming it.
        Assert.Equal(("3", "input 'x': 8388608 bytes of binary data, but shape [1,3,32,32] of FP32 needs 12288"),
            (Trailer(response, "grpc-status"), Uri.UnescapeDataString(Trailer(response, "grpc-message") ?? "")));
        Assert.Empty(spooled);
    }

    private static string? Trailer(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var trailing) ? trailing.Single()
        : response.Headers.TryGetValues(name, out var leading) ? leading.Single() : null;

    /// <summary>Files the process holds open whose name is one ASP.NET Core gives spooled bodies.</summary>
    private static IEnumerable<string> OpenTemporaryFiles(int pid) =>
        new DirectoryInfo($"/proc/{pid}/fd").EnumerateFileSystemInfos()
            .Select(descriptor => descriptor.LinkTarget)
            .OfType<string>()
            .Where(target => Path.GetFileName(target).StartsWith("ASPNETCORE_", StringComparison.Ordinal));

    private async Task WarmUpAsync(HttpClient gateway)
    {
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Detector) { Content = Json("x", [1, 3, 32, 32], new float[3 * 32 * 32]) };
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
            using var response = await gateway.SendAsync(request).WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>A gRPC frame that declares a 1 MiB message, then 100 bytes of it every 100 ms.</summary>
    private sealed class TricklingGrpcMessage : HttpContent
    {
        public TricklingGrpcMessage() => Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(new byte[] { 0, 0, 0x10, 0, 0 });
            for (var i = 0; i < 1024 * 1024 / 100; i++)
            {
                await stream.WriteAsync(new byte[100]);
                await stream.FlushAsync();
                await Task.Delay(100);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>Hands out a body in 64 KiB reads, and looks at the server between them, while the body is in flight.</summary>
    private sealed class ObservedStream(byte[] data, Action observe) : MemoryStream(data, writable: false)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            observe();
            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, 64 * 1024)], cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
