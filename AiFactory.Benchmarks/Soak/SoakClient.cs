using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;

namespace AiFactory.Benchmarks.Soak;

/// <summary>An API key the soak made: its id (as usage reports it) and its plaintext.</summary>
public sealed record SoakKey(string Id, string Plaintext);

/// <summary>
/// The soak's client of one gateway with one set of keys: REST (paths sent byte for byte, as an attacker writes
/// them), gRPC (messages sent as given bytes, so a message can carry a field twice) and raw HTTP/1.1 over a socket
/// (for a body shorter than its declared length). Every request has a timeout; none throws: each returns an
/// <see cref="Answer"/>.
/// </summary>
public sealed class SoakClient : IDisposable
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(bytes => bytes, bytes => bytes);
    private const int MessageLength = 200;
    private static readonly Method<byte[], byte[]> ModelInfer = new(MethodType.Unary, "inference.GRPCInferenceService", "ModelInfer", Bytes, Bytes);

    private readonly HttpClient _http;
    private readonly GrpcChannel _grpc;
    private readonly CallInvoker _invoker;
    private readonly IReadOnlyDictionary<KeyRole, SoakKey> _keys;

    public SoakClient(Uri http, Uri grpc, IReadOnlyDictionary<KeyRole, SoakKey> keys, TimeSpan timeout)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = http, Timeout = Timeout.InfiniteTimeSpan };
        _grpc = GrpcChannel.ForAddress(grpc, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            MaxReceiveMessageSize = null,
        });
        _invoker = _grpc.CreateCallInvoker();
        _keys = keys;
        RequestTimeout = timeout;
    }

    public TimeSpan RequestTimeout { get; }

    /// <summary>The id of the key of <paramref name="role"/>, as the usage report names it.</summary>
    public string KeyIdOf(KeyRole role) => _keys[role].Id;

    public IEnumerable<KeyValuePair<KeyRole, SoakKey>> Keys => _keys;

    /// <summary>
    /// <paramref name="method"/> <paramref name="rawPath"/> as written (case, <c>%25</c> and all), with the key of
    /// <paramref name="key"/> and, when <paramref name="noCache"/>, <c>Cache-Control: no-cache</c>.
    /// </summary>
    public Task<Answer> RestAsync(KeyRole key, HttpMethod method, string rawPath, HttpContent? content, bool noCache,
        CancellationToken cancellationToken) =>
        WithinTimeoutAsync(async timeout =>
        {
            var uri = new Uri(_http.BaseAddress!.GetLeftPart(UriPartial.Authority) + rawPath,
                new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
            using var request = new HttpRequestMessage(method, uri) { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PlaintextOf(key));
            if (noCache)
            {
                request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
            }

            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout);
            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(timeout);
                return Answer.Http((int)response.StatusCode, message: error[..Math.Min(error.Length, MessageLength)]);
            }

            await response.Content.CopyToAsync(Stream.Null, timeout);
            var hit = response.Headers.TryGetValues("x-aifactory-cache", out var values) && values.Contains("hit");
            return Answer.Http((int)response.StatusCode, hit);
        }, cancellationToken);

    /// <summary>
    /// <c>ModelInfer</c> with <paramref name="message"/> as the message's bytes; an OK answer that is not
    /// <paramref name="model"/>'s single output counts as a failure.
    /// </summary>
    public Task<Answer> GrpcInferAsync(KeyRole key, byte[] message, string model, CancellationToken cancellationToken) =>
        WithinTimeoutAsync(async timeout =>
        {
            var headers = new Metadata { { "authorization", $"Bearer {PlaintextOf(key)}" } };
            try
            {
                var answer = Inference.Grpc.Protocol.ModelInferResponse.Parser.ParseFrom(
                    await _invoker.AsyncUnaryCall(ModelInfer, null, new CallOptions(headers, cancellationToken: timeout), message));
                return answer.ModelName == model && answer.RawOutputContents.Count == 1
                    ? Answer.Grpc(StatusCode.OK)
                    : Answer.Failed($"gRPC OK with a wrong answer (model '{answer.ModelName}', {answer.RawOutputContents.Count} outputs)");
            }
            catch (RpcException e) when (!timeout.IsCancellationRequested)
            {
                // A status the client made up itself (it carries the exception) means no answer came.
                return e.Status.DebugException is null ? Answer.Grpc(e.StatusCode, e.Status.Detail) : Answer.Failed($"gRPC transport error ({e.StatusCode})");
            }
        }, cancellationToken);

    /// <summary>
    /// POST <paramref name="path"/> declaring a body of <paramref name="declaredLength"/> bytes but sending only
    /// <paramref name="sent"/>, then waiting, connection open, for the server's status line.
    /// </summary>
    public Task<Answer> ShortBodyAsync(KeyRole key, string path, byte[] sent, long declaredLength, CancellationToken cancellationToken) =>
        WithinTimeoutAsync(async timeout =>
        {
            var server = _http.BaseAddress!;
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(server.Host, server.Port, timeout);
            var head = $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {PlaintextOf(key)}\r\n" +
                       $"Content-Type: application/json\r\nContent-Length: {declaredLength}\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head), timeout);
            await socket.SendAsync(sent, timeout);

            var received = new byte[512];
            var length = 0;
            while (length < received.Length && received.AsSpan(0, length).IndexOf("\r\n"u8) < 0)
            {
                var read = await socket.ReceiveAsync(received.AsMemory(length), timeout);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            // "HTTP/1.1 400 Bad Request"
            var statusLine = Encoding.ASCII.GetString(received, 0, length).Split("\r\n")[0];
            return statusLine.Split(' ') is [_, var code, ..] && int.TryParse(code, out var status)
                ? Answer.Http(status, message: statusLine)
                : Answer.Failed("connection closed without an answer");
        }, cancellationToken);

    private async Task<Answer> WithinTimeoutAsync(Func<CancellationToken, Task<Answer>> send, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            return await send(timeout.Token);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && e is OperationCanceledException or RpcException or IOException)
        {
            return Answer.Failed("timeout");
        }
        catch (HttpRequestException e)
        {
            return Answer.Failed($"transport error ({e.HttpRequestError})");
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return Answer.Failed($"transport error ({e.GetType().Name})");
        }
    }

    // A made-up key is new for every request, as a key flood sends them.
    private string PlaintextOf(KeyRole role) => role == KeyRole.MadeUp
        ? $"afk_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}"
        : _keys[role].Plaintext;

    public void Dispose()
    {
        _http.Dispose();
        _grpc.Dispose();
    }
}
