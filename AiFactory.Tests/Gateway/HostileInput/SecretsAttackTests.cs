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

    public static TheoryData<string, string, string> DashboardKeyMisuse => new()
    {
        { "GET", "/api/admin/keys", "admin" },
        { "POST", "/api/admin/keys", "admin" },
        { "GET", "/api/admin/usage", "admin" },
        // A model no replica has: should the check ever fail, the test unloads nothing the others need.
        { "POST", "/v2/repository/models/no-such-model/unload", "admin" },
        { "POST", $"/v2/models/{SampleModels.TextDirection}/infer", "infer" },
    };

    /// <summary>Whoever takes over the dashboard's process holds its key: it must open nothing but what the dashboard reads.</summary>
    [Theory]
    [MemberData(nameof(DashboardKeyMisuse))]
    public async Task The_dashboards_key_taken_from_its_environment_is_refused_what_the_dashboard_does_not_read(string method, string path, string scope)
    {
        using var client = fixture.CreateGatewayClient(DashboardKey());
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? new StringContent("""{"name": "stolen", "scopes": ["admin"]}""", Encoding.UTF8, "application/json") : null,
        };

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} with the dashboard's key: {(int)response.StatusCode} {body}");
        Assert.Equal($"the API key does not have the '{scope}' scope", OipRequests.ErrorOf(body).GetString());
    }

    [Fact]
    public async Task The_dashboards_key_reads_the_repository_index_and_model_metadata()
    {
        using var client = fixture.CreateGatewayClient(DashboardKey());

        using var index = await client.PostAsync("/v2/repository/index", content: null).WaitAsync(Timeout);
        using var metadata = await client.GetAsync($"/v2/models/{SampleModels.TextDirection}").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Contains(SampleModels.TextDirection, await index.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
    }

    private string DashboardKey() => fixture.EnvironmentOf("dashboard")["Gateway__ApiKey"];
}
