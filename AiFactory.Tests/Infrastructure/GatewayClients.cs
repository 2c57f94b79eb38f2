using System.Net.Http.Headers;
using Grpc.Net.Client;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// The one place where a test's client of the gateway is made ready for it, whichever gateway it is (the AppHost's
/// through <see cref="AppHostFixture.CreateGatewayClient"/>, or one in-process through <see cref="GatewayInstance"/>):
/// every call presents an API key.
/// </summary>
public static class GatewayClients
{
    public static HttpClient Prepare(HttpClient client, string apiKey)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public static GrpcChannel Channel(Uri address, string apiKey, HttpMessageHandler? handler = null) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new ApiKeyHandler(apiKey, handler ?? new SocketsHttpHandler()) });

    /// <summary>Adds the key to every call of a gRPC channel (metadata travels as HTTP/2 headers).</summary>
    private sealed class ApiKeyHandler(string apiKey, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
