extern alias gateway;

using System.Net.Http.Headers;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using GatewayProgram = gateway::Program;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// A second gateway replica, in-process, wired to the AppHost's Redis, PostgreSQL and inference replicas exactly as
/// the AppHost wires its own: the two share every piece of state a cluster's gateway replicas share.
/// </summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    private readonly WebApplicationFactory<GatewayProgram> _factory;

    private GatewayInstance(WebApplicationFactory<GatewayProgram> factory) => _factory = factory;

    public IServiceProvider Services => _factory.Services;

    public static async Task<GatewayInstance> StartAsync(AppHostFixture fixture, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var app = fixture.App;
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:cache"] = await app.GetConnectionStringAsync("cache"),
            ["ConnectionStrings:aifactory"] = await app.GetConnectionStringAsync("postgres"),
            ["Gateway:ApiKeys:BootstrapAdminKey"] = fixture.AdminKey,
        };
        var replicas = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>()
            .Where(resource => resource.Name.StartsWith("inference", StringComparison.Ordinal)).ToList();
        for (var i = 0; i < replicas.Count; i++)
        {
            configuration[$"services:inference:http:{i}"] = app.GetEndpoint(replicas[i].Name, "http").ToString();
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
        _ = factory.Server; // starts it: schema migration and the background services run now
        return new GatewayInstance(factory);
    }

    /// <summary>A client presenting <paramref name="apiKey"/>.</summary>
    public HttpClient CreateClient(string apiKey)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();
}
