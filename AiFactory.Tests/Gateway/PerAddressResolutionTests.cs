using System.Net;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// <c>Routing:ResolveAllAddresses</c> (for a headless Service in Kubernetes): a destination whose host has several
/// addresses becomes one destination per address, still sending the name as Host. The gateway runs in-process
/// with "localhost" standing in for the Service's name.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class PerAddressResolutionTests(AppHostFixture fixture)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_destination_becomes_one_per_address_only_when_asked(bool resolveAllAddresses)
    {
        // The gateway needs a real Redis and PostgreSQL to start (it migrates its schema first): the AppHost's.
        await using var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["Routing:ResolveAllAddresses"] = resolveAllAddresses.ToString(),
            ["ReverseProxy:Clusters:inference:Destinations:inference:Address"] = "http://localhost:1",
            ["ReverseProxy:Clusters:inference-grpc:Destinations:inference:Address"] = "http://localhost:2",
        });
        using var client = gateway.CreateClient(fixture.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive").WaitAsync(TimeSpan.FromSeconds(30))).StatusCode);

        Assert.True(gateway.Services.GetRequiredService<IProxyStateLookup>().TryGetCluster("inference", out var cluster));
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
