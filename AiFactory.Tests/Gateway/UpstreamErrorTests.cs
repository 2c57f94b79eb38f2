using System.Net;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Tests.Infrastructure;
using Grpc.Core;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// Errors the gateway itself answers (no replica reachable, body too large) come in the protocol's error shape with
/// a telling status. A second gateway replica runs in-process on the AppHost's Redis and PostgreSQL, its only
/// inference destination a port nothing listens on.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class UpstreamErrorTests(AppHostFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private GatewayInstance _gateway = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            // Port 1 on loopback: nothing listens there, so every forward fails to connect.
            ["ReverseProxy:Clusters:inference:Destinations:inference:Address"] = "http://127.0.0.1:1",
            ["ReverseProxy:Clusters:inference-grpc:Destinations:inference:Address"] = "http://127.0.0.1:1",
            ["Gateway:MaxRequestBodyBytes"] = "1000",
        });
        _http = _gateway.CreateClient(fixture.AdminKey);
    }

    [Fact]
    public async Task An_unreachable_inference_service_is_a_502_with_an_error_body()
    {
        using var response = await _http.PostAsync("/v2/models/text-direction/infer", new StringContent("{}")).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("the inference service could not be reached", OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task An_unreachable_inference_service_is_a_grpc_unavailable_status_for_grpc_calls()
    {
        using var channel = _gateway.CreateGrpcChannel(fixture.AdminKey);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.ServerReadyAsync(new ServerReadyRequest(), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("the inference service could not be reached", error.Status.Detail);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_before_anything_is_forwarded()
    {
        using var response = await _http.PostAsync("/v2/models/text-direction/infer", new StringContent(new string(' ', 1001))).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("the request body is larger than the limit of 1000 bytes", OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task The_gateway_stays_live_while_inference_is_unreachable()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/alive").WaitAsync(Timeout)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health").WaitAsync(Timeout)).StatusCode);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
    }
}
