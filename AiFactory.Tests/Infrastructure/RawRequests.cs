using Grpc.Core;
using Grpc.Net.Client;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Requests exactly as an attacker writes them, past the normalisation a well-behaved client applies: a path sent
/// byte for byte ("..", "%2E", "%2500" and case kept), a gRPC method called by any name with any message bytes.
/// </summary>
public static class RawRequests
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(bytes => bytes, bytes => bytes);

    /// <summary>A request for <paramref name="rawPath"/> on <paramref name="client"/>'s server, sent as written.</summary>
    public static HttpRequestMessage Path(HttpClient client, HttpMethod method, string rawPath, HttpContent? content = null)
    {
        var origin = client.BaseAddress!.GetLeftPart(UriPartial.Authority);
        var uri = new Uri(origin + rawPath, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        return new HttpRequestMessage(method, uri) { Content = content };
    }

    /// <summary>Calls <c>/{service}/{method}</c> with <paramref name="message"/> as the message's bytes; returns the answer's bytes.</summary>
    public static async Task<byte[]> GrpcUnaryAsync(GrpcChannel channel, string service, string method, byte[] message, TimeSpan timeout) =>
        await channel.CreateCallInvoker().AsyncUnaryCall(new Method<byte[], byte[]>(MethodType.Unary, service, method, Bytes, Bytes),
            host: null, new CallOptions(deadline: DateTime.UtcNow.Add(timeout)), message);
}
