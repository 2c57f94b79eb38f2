extern alias gateway;

using System.Net;
using Aspire.Hosting.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using GatewayProgram = gateway::Program;
using DefaultEndpoints = Microsoft.Extensions.Hosting.Extensions;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// A second gateway replica, in-process, wired to the AppHost's Redis, PostgreSQL and inference replicas exactly as
/// the AppHost wires its own: the two share every piece of state a cluster's gateway replicas share.
/// </summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    private readonly WebApplicationFactory<GatewayProgram> _factory;

    private GatewayInstance(WebApplicationFactory<GatewayProgram> factory, Uri? address)
    {
        _factory = factory;
        Address = address;
    }

    /// <summary>The REST endpoint's address when the gateway listens on sockets (<c>onSockets</c>); null in-process.</summary>
    public Uri? Address { get; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>
    /// Starts a gateway and, unless <paramref name="waitUntilReady"/> is false, waits until its <c>/health</c> answers
    /// 200, as Aspire waits for its resources: a gateway migrates its schema in the background and is not ready before.
    /// With <paramref name="onSockets"/> it runs Kestrel on loopback ports of its own (<see cref="Address"/>), for what
    /// only a real connection shows (Expect: 100-continue, how much of a body is read); otherwise it is in-process.
    /// </summary>
    public static async Task<GatewayInstance> StartAsync(AppHostFixture fixture, IReadOnlyDictionary<string, string?>? settings = null,
        bool waitUntilReady = true, bool onSockets = false)
    {
        var app = fixture.App;
        var gatewayEnvironment = fixture.EnvironmentOf("gateway");
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:cache"] = await app.GetConnectionStringAsync("cache"),
            // The AppHost's gateway's own (its database role), not the server's superuser.
            ["ConnectionStrings:aifactory"] = gatewayEnvironment["ConnectionStrings__aifactory"],
            ["ConnectionStrings:storage"] = gatewayEnvironment["ConnectionStrings__storage"],
            ["Gateway:ApiKeys:BootstrapAdminKey"] = fixture.AdminKey,
        };
        for (var i = 0; i < AppHostFixture.InferenceReplicas.Length; i++)
        {
            configuration[$"services:inference:http:{i}"] = app.GetEndpoint(AppHostFixture.InferenceReplicas[i], "http").ToString();
            configuration[$"services:inference:grpc:{i}"] = app.GetEndpoint(AppHostFixture.InferenceReplicas[i], "grpc").ToString();
        }

        Uri? address = null;
        if (onSockets)
        {
            address = new Uri($"http://127.0.0.1:{S3rverProcess.FreePort()}");
            configuration["Kestrel:Endpoints:http:Url"] = address.ToString();
            configuration["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{S3rverProcess.FreePort()}";
            configuration["Kestrel:Endpoints:management:Url"] = $"http://127.0.0.1:{S3rverProcess.FreePort()}";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var factory = new WebApplicationFactory<GatewayProgram>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in configuration)
            {
                web.UseSetting(key, value);
            }
        });
        try
        {
            // Starts it: schema migration and the background services run now.
            if (onSockets)
            {
                factory.UseKestrel();
                factory.StartServer();
            }
            else
            {
                _ = factory.Server;
            }
        }
        catch
        {
            await factory.DisposeAsync();
            throw;
        }

        var gateway = new GatewayInstance(factory, address);
        if (waitUntilReady)
        {
            await gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }

        return gateway;
    }

    /// <summary>Polls <c>/health</c> until it answers 200; fails after <paramref name="within"/>.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan within)
    {
        using var client = Address is null ? _factory.CreateClient() : new HttpClient { BaseAddress = Address };
        var deadline = DateTime.UtcNow + within;
        HttpStatusCode status;
        while ((status = (await client.GetAsync("/health").WaitAsync(within)).StatusCode) != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(status == HttpStatusCode.OK, $"the gateway is not ready after {within}: /health answers {(int)status}");
    }

    /// <summary>A client presenting <paramref name="apiKey"/>.</summary>
    public HttpClient CreateClient(string apiKey) =>
        GatewayClients.Prepare(Address is null ? _factory.CreateClient() : new HttpClient { BaseAddress = Address }, apiKey);

    /// <summary>A gRPC channel presenting <paramref name="apiKey"/>, over the in-process server.</summary>
    public GrpcChannel CreateGrpcChannel(string apiKey) =>
        GatewayClients.Channel(_factory.Server.BaseAddress, apiKey, _factory.Server.CreateHandler());

    /// <summary>
    /// The Prometheus scrape as a connection arriving on the management port sees it: the in-process server has no
    /// ports, so the request carries the configured management port as its local port, which alone is served
    /// <c>/metrics</c>.
    /// </summary>
    public async Task<string> ScrapeMetricsAsync()
    {
        var url = _factory.Services.GetRequiredService<IConfiguration>()[$"Kestrel:Endpoints:{DefaultEndpoints.ManagementEndpoint}:Url"]!;
        var context = await _factory.Server.SendAsync(http =>
        {
            http.Connection.LocalPort = BindingAddress.Parse(url).Port;
            http.Request.Method = HttpMethods.Get;
            http.Request.Path = DefaultEndpoints.MetricsPath;
        });
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        return await new StreamReader(context.Response.Body).ReadToEndAsync();
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();
}
