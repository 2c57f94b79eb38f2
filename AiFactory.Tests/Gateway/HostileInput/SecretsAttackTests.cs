using System.Net;
using System.Text;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;

namespace AiFactory.Tests.Gateway.HostileInput;

/// <summary>
/// Attacks on what the gateway exposes and on the keys the application holds, each next to what a legitimate user
/// of the same thing still gets.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SecretsAttackTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("anonymous")]
    [InlineData("admin")]
    [InlineData("management-host-header")]
    public async Task Scraping_metrics_from_the_gateways_public_port_finds_nothing(string caller)
    {
        using var client = new HttpClient { BaseAddress = fixture.App.GetEndpoint("gateway", "http") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (caller == "admin")
        {
            GatewayClients.Prepare(client, fixture.AdminKey);
        }
        else if (caller == "management-host-header")
        {
            // Naming the management endpoint's own address: a check on the Host header would let this through.
            request.Headers.Host = new Uri(fixture.EnvironmentOf("gateway")["Kestrel__Endpoints__management__Url"].Replace("*", "localhost")).Authority;
        }

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{caller}: GET /metrics on the public port answered {(int)response.StatusCode}");
        Assert.DoesNotContain("aifactory_", body);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_gateways_metrics_from_its_management_port()
    {
        using (var gateway = fixture.CreateGatewayClient())
        {
            // Something to count.
            using var metadata = await gateway.GetAsync($"/v2/models/{SampleModels.TextDirection}").WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        }

        using var management = new HttpClient { BaseAddress = fixture.App.GetEndpoint("gateway", "management") };
        var metrics = await management.GetStringAsync("/metrics").WaitAsync(Timeout);

        Assert.Contains("aifactory_gateway_requests_total{", metrics);
    }

    /// <summary>
    /// Issue 9 gave the dashboard a read-scoped key of its own (<c>Gateway:ApiKeys:DashboardKey</c>); the console now
    /// calls with the signed-in operator's credential. A deployment that still sets the old key must not keep a key
    /// that whoever takes over the console's process (or reads the old Secret) could use.
    /// </summary>
    [Fact]
    public async Task The_retired_dashboard_key_still_set_on_a_gateway_opens_nothing()
    {
        var retired = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?> { ["Gateway:ApiKeys:DashboardKey"] = retired });
        using var client = gateway.CreateClient(retired);

        using var response = await client.PostAsync("/v2/repository/index", content: null).WaitAsync(Timeout);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"the retired dashboard key: {(int)response.StatusCode} {body}");
        Assert.Equal("the API key is not valid", OipRequests.ErrorOf(body).GetString());
    }

    [Fact]
    public async Task The_console_is_given_no_API_key_of_its_own()
    {
        var environment = fixture.EnvironmentOf("dashboard");

        Assert.DoesNotContain(environment, variable => variable.Key.Contains("ApiKey", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(environment, variable => variable.Value.Contains(fixture.AdminKey, StringComparison.Ordinal));
    }
}
