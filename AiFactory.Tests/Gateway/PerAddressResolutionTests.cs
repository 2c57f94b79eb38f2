extern alias gateway;

using System.Net;
using AiFactory.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;
using GatewayProgram = gateway::Program;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// <c>Routing:ResolveAllAddresses</c> (for a headless Service in Kubernetes): a destination whose host has several
/// addresses becomes one destination per address, still sending the name as Host. The gateway runs in-process
/// with "localhost" standing in for the Service's name.
/// </summary>
public sealed class PerAddressResolutionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_destination_becomes_one_per_address_only_when_asked(bool resolveAllAddresses)
    {
        await using var factory = new WebApplicationFactory<GatewayProgram>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Routing:ResolveAllAddresses", resolveAllAddresses.ToString());
            web.UseSetting("ReverseProxy:Clusters:inference:Destinations:inference:Address", "http://localhost:1");
            web.UseSetting("ReverseProxy:Clusters:inference-grpc:Destinations:inference:Address", "http://localhost:2");
            web.UseSetting("ConnectionStrings:cache", "127.0.0.1:1,abortConnect=false");
            web.UseSetting("ConnectionStrings:aifactory", "Host=127.0.0.1;Port=1;Username=none;Database=none");
        });
        using var client = GatewayClients.Prepare(factory.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive").WaitAsync(TimeSpan.FromSeconds(30))).StatusCode);

        Assert.True(factory.Services.GetRequiredService<IProxyStateLookup>().TryGetCluster("inference", out var cluster));
        var destinations = cluster.Destinations.Values.Select(destination => destination.Model.Config).ToList();
        var addresses = (await Dns.GetHostAddressesAsync("localhost").WaitAsync(TimeSpan.FromSeconds(10))).Distinct().ToList();

        if (resolveAllAddresses)
        {
            Assert.Equal(addresses.Count, destinations.Count);
            Assert.All(destinations, destination =>
            {
                Assert.True(IPAddress.TryParse(new Uri(destination.Address).Host.Trim('[', ']'), out var address), destination.Address);
                Assert.Contains(address, addresses);
                Assert.Equal(1, new Uri(destination.Address).Port);
                Assert.Equal("localhost:1", destination.Host);
            });
        }
        else
        {
            Assert.Equal("http://localhost:1/", Assert.Single(destinations).Address);
        }
    }
}
