extern alias gateway;

using System.Net;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using GatewayProgram = gateway::Program;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// Errors the gateway itself answers (no replica reachable, body too large) come in the protocol's error shape with
/// a telling status. The gateway runs in-process here, its only replica pointing at a port nothing listens on.
/// </summary>
public sealed class UpstreamErrorTests : IAsyncLifetime
{
    private WebApplicationFactory<GatewayProgram> _factory = null!;
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<GatewayProgram>().WithWebHostBuilder(web =>
        {
            // Port 1 on loopback: nothing listens there, so every forward fails to connect.
            web.UseSetting("ReverseProxy:Clusters:inference:Destinations:inference:Address", "http://127.0.0.1:1");
            web.UseSetting("ReverseProxy:Clusters:inference-grpc:Destinations:inference:Address", "http://127.0.0.1:1");
            // The clients are created lazily; these servers are never contacted by this test.
            web.UseSetting("ConnectionStrings:cache", "127.0.0.1:1,abortConnect=false");
            web.UseSetting("ConnectionStrings:aifactory", "Host=127.0.0.1;Port=1;Username=none;Database=none");
            web.UseSetting("Gateway:MaxRequestBodyBytes", "1000");
        });
        _http = GatewayClients.Prepare(_factory.CreateClient());
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_unreachable_inference_service_is_a_502_with_an_error_body()
    {
        using var response = await _http.PostAsync("/v2/models/text-direction/infer", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("the inference service could not be reached", OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task An_unreachable_inference_service_is_a_grpc_unavailable_status_for_grpc_calls()
    {
        using var channel = GatewayClients.Channel(_http.BaseAddress!, _factory.Server.CreateHandler());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.ServerReadyAsync(new ServerReadyRequest(), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("the inference service could not be reached", error.Status.Detail);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_before_anything_is_forwarded()
    {
        using var response = await _http.PostAsync("/v2/models/text-direction/infer", new StringContent(new string(' ', 1001)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("the request body is larger than the limit of 1000 bytes", OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task The_gateway_stays_live_while_inference_is_unreachable()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/alive")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
    }
}
