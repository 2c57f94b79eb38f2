using Grpc.Net.Client;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// The one place where a test's client of the gateway is made ready for it, whichever gateway it is (the AppHost's
/// through <see cref="AppHostFixture.CreateGatewayClient"/>, or one in-process): what every call to the gateway
/// must carry goes here.
/// </summary>
public static class GatewayClients
{
    public static HttpClient Prepare(HttpClient client) => client;

    public static GrpcChannel Channel(Uri address, HttpMessageHandler? handler = null) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
}
