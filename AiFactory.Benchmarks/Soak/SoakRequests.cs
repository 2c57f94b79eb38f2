using System.Net.Http.Headers;
using System.Text;
using AiFactory.Inference.Grpc.Protocol;
using Google.Protobuf;

namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// The soak's requests: the valid mix (keys, both sample models, REST JSON and binary, gRPC, repeated bodies for the
/// cache) and the hostile kinds, their bodies built once.
/// </summary>
public sealed class SoakRequests
{
    public const string Direction = "text-direction";
    public const string Detection = "text-detection";
    public const string InvalidBucket = "(invalid)";

    /// <summary>The detector's input side: small (sides must be multiples of 32), so that detection stays a share of the load.</summary>
    public const int DetectionSide = 96;

    /// <summary>The share of arrivals sent with the rate-limited key (its weight, out of 100).</summary>
    public const double RateLimitedShare = RateLimitedWeight / 100.0;

    private const int RateLimitedWeight = 6;
    private const int MaxDirectionBatch = 8;
    private const int CachedDirectionBodies = 16;
    private const int CachedDetectionBodies = 4;

    // A body declared this long reaches inference unread by the cache (over its 16 MiB), under the 256 MiB limit.
    private const long DeclaredShortBodyLength = 64L * 1024 * 1024;

    private readonly (byte[] Body, int HeaderLength)[] _directionBinary;
    private readonly byte[][] _directionGrpc;
    private readonly byte[] _directionJson;
    private readonly (byte[] Body, int HeaderLength) _detectionBinary;
    private readonly (byte[] Body, int HeaderLength)[] _cachedDirection;
    private readonly (byte[] Body, int HeaderLength)[] _cachedDetection;

    public SoakRequests()
    {
        // Index 0 unused: batch sizes 1..8.
        _directionBinary = [.. Enumerable.Range(0, MaxDirectionBatch + 1).Select(batch => DirectionBinary(Math.Max(1, batch), seed: batch))];
        _directionGrpc = [.. Enumerable.Range(0, MaxDirectionBatch + 1).Select(batch =>
            ServerBenchmark.GrpcRequest(Direction, InProcessBenchmark.Image(Math.Max(1, batch)), Math.Max(1, batch)).ToByteArray())];
        _directionJson = ServerBenchmark.JsonBody(InProcessBenchmark.Image(1));
        _detectionBinary = (ServerBenchmark.DetectionBody(DetectionSide, out var detectionHeader), detectionHeader);
        _cachedDirection = [.. Enumerable.Range(0, CachedDirectionBodies).Select(i => DirectionBinary(1, seed: 1000 + i))];
        _cachedDetection = [.. Enumerable.Range(0, CachedDetectionBodies).Select(i =>
            (ServerBenchmark.DetectionBody(DetectionSide, out var header, seed: 2000 + i), header))];
        Mix = new SoakMix(ValidMix(), HostileKinds());
    }

    public SoakMix Mix { get; }

    /// <summary>
    /// The valid requests and their weights (out of the 99 in 100 arrivals that are not hostile). Requests meant to
    /// infer send <c>Cache-Control: no-cache</c>, so Redis holds only the repeated bodies' answers and its memory
    /// measures the gateway rather than the run's length; the cached kinds repeat a few bodies without it.
    /// </summary>
    private List<(SoakRequest, int)> ValidMix() =>
    [
        (Valid("direction-binary", KeyRole.Unrestricted, Direction, (client, n, ct) =>
            client.RestAsync(KeyRole.Unrestricted, HttpMethod.Post, InferPath(Direction), Binary(_directionBinary[Batch(n)]), noCache: true, ct)), 28),
        (Valid("direction-grpc", KeyRole.Unrestricted, Direction, (client, n, ct) =>
            client.GrpcInferAsync(KeyRole.Unrestricted, _directionGrpc[Batch(n)], Direction, ct)), 14),
        (Valid("direction-json", KeyRole.Unrestricted, Direction, (client, _, ct) =>
            client.RestAsync(KeyRole.Unrestricted, HttpMethod.Post, InferPath(Direction), Json(_directionJson), noCache: true, ct)), 5),
        (Valid("detection-binary", KeyRole.Unrestricted, Detection, (client, _, ct) =>
            client.RestAsync(KeyRole.Unrestricted, HttpMethod.Post, InferPath(Detection), Binary(_detectionBinary), noCache: true, ct)), 8),
        (Valid("direction-cached", KeyRole.Unrestricted, Direction, (client, n, ct) =>
            client.RestAsync(KeyRole.Unrestricted, HttpMethod.Post, InferPath(Direction), Binary(_cachedDirection[Pick(n, CachedDirectionBodies)]), noCache: false, ct)), 15),
        (Valid("detection-cached", KeyRole.Unrestricted, Detection, (client, n, ct) =>
            client.RestAsync(KeyRole.Unrestricted, HttpMethod.Post, InferPath(Detection), Binary(_cachedDetection[Pick(n, CachedDetectionBodies)]), noCache: false, ct)), 5),
        (Valid("detection-metadata", KeyRole.Unrestricted, Detection, (client, _, ct) =>
            client.RestAsync(KeyRole.Unrestricted, HttpMethod.Get, $"/v2/models/{Detection}", null, noCache: false, ct)), 2),
        (Valid("restricted-binary", KeyRole.Restricted, Direction, (client, n, ct) =>
            client.RestAsync(KeyRole.Restricted, HttpMethod.Post, InferPath(Direction), Binary(_directionBinary[Batch(n)]), noCache: true, ct)), 8),
        (Valid("restricted-grpc", KeyRole.Restricted, Direction, (client, n, ct) =>
            client.GrpcInferAsync(KeyRole.Restricted, _directionGrpc[Batch(n)], Direction, ct)), 6),
        (Valid("restricted-metadata", KeyRole.Restricted, Direction, (client, _, ct) =>
            client.RestAsync(KeyRole.Restricted, HttpMethod.Get, $"/v2/models/{Direction}", null, noCache: false, ct)), 2),
        (new SoakRequest("rate-limited-binary", Hostile: false, KeyRole.RateLimited, Direction, ["200", "429"], (client, _, ct) =>
            client.RestAsync(KeyRole.RateLimited, HttpMethod.Post, InferPath(Direction), Binary(_directionBinary[1]), noCache: true, ct)), RateLimitedWeight),
    ];

    /// <summary>The attacks of issue 9, each with the refusal the gateway documents for it.</summary>
    private List<SoakRequest> HostileKinds()
    {
        var forbiddenLast = _directionGrpc[1].Concat(new ModelInferRequest { ModelName = Detection }.ToByteArray()).ToArray();
        var hugeShape = Encoding.UTF8.GetBytes(
            $$"""{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,4096,5440],"data":[0.5,0.5,0.5]}]}""");
        var malformed = Encoding.UTF8.GetBytes("""{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,48,192],"data":[0.5,""");
        return
        [
            Hostile("wrong-case-path", KeyRole.Restricted, InvalidBucket, ["404"], (client, _, ct) =>
                client.RestAsync(KeyRole.Restricted, HttpMethod.Post, $"/V2/models/{Detection}/infer", Binary(_detectionBinary), noCache: false, ct)),
            Hostile("doubly-encoded-nul", KeyRole.Unrestricted, InvalidBucket, ["400"], (client, _, ct) =>
                client.RestAsync(KeyRole.Unrestricted, HttpMethod.Get, "/v2/models/a%2500b", null, noCache: false, ct)),
            Hostile("huge-declared-shape", KeyRole.Unrestricted, Detection, ["400"], (client, _, ct) =>
                client.RestAsync(KeyRole.Unrestricted, HttpMethod.Post, InferPath(Detection), Json(hugeShape), noCache: false, ct)),
            // Kestrel drops a body that stalls below its minimum data rate: 408 where the gateway answers that itself,
            // 400 where YARP reports it as the client's body error.
            Hostile("short-body", KeyRole.Unrestricted, Direction, ["408", "400"], (client, _, ct) =>
                client.ShortBodyAsync(KeyRole.Unrestricted, InferPath(Direction), malformed, DeclaredShortBodyLength, ct)),
            Hostile("made-up-key", KeyRole.MadeUp, Direction, ["401"], (client, _, ct) =>
                client.RestAsync(KeyRole.MadeUp, HttpMethod.Get, $"/v2/models/{Direction}", null, noCache: false, ct)),
            Hostile("malformed-json", KeyRole.Unrestricted, Direction, ["400"], (client, _, ct) =>
                client.RestAsync(KeyRole.Unrestricted, HttpMethod.Post, InferPath(Direction), Json(malformed), noCache: false, ct)),
            Hostile("grpc-forbidden-last-name", KeyRole.Restricted, Detection, ["gRPC PermissionDenied"], (client, _, ct) =>
                client.GrpcInferAsync(KeyRole.Restricted, forbiddenLast, Direction, ct)),
        ];
    }

    private static SoakRequest Valid(string name, KeyRole key, string model, Func<SoakClient, long, CancellationToken, Task<Answer>> send) =>
        new(name, Hostile: false, key, model, ["200", "gRPC OK"], send);

    private static SoakRequest Hostile(string name, KeyRole key, string model, string[] refusals, Func<SoakClient, long, CancellationToken, Task<Answer>> send) =>
        new(name, Hostile: true, key, model, refusals, send);

    private static string InferPath(string model) => $"/v2/models/{model}/infer";

    // Sizes and bodies vary by arrival, from bits of its hash the mix does not use for its own draw.
    private static int Batch(long n) => 1 + (int)(SoakMix.Hash(n) >> 40) % MaxDirectionBatch;

    private static int Pick(long n, int count) => (int)((SoakMix.Hash(n) >> 48) % (ulong)count);

    private static (byte[], int) DirectionBinary(int batch, int seed) =>
        (ServerBenchmark.BinaryBody(InProcessBenchmark.Image(batch, seed), $"{batch},3,48,192", out var headerLength), headerLength);

    private static ByteArrayContent Binary((byte[] Body, int HeaderLength) body) => ServerBenchmark.Binary(body.Body, body.HeaderLength);

    private static ByteArrayContent Json(byte[] body) =>
        new(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
}
