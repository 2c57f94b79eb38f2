extern alias console;

using System.Net;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using ConsoleProgram = console::Program;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>Nothing of the console is anonymous but its sign-in page, the static files that page needs, and health.</summary>
[Collection(AppHostCollection.Name)]
public sealed class ConsoleAccessTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/keys")]
    [InlineData("GET", "/usage")]
    [InlineData("GET", "/audit")]
    [InlineData("GET", "/usage/export.csv?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z")]
    [InlineData("POST", "/_blazor/negotiate?negotiateVersion=1")]
    public async Task An_anonymous_request_is_sent_to_sign_in_and_gets_nothing(string method, string path)
    {
        using var console = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.App.GetEndpoint("dashboard", "http") };

        using var response = await console.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)).WaitAsync(Timeout);

        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode}");
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            Assert.StartsWith("/signin", response.Headers.Location!.PathAndQuery);
        }
    }

    [Theory]
    [InlineData("/signin")]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/app.css")]
    public async Task The_sign_in_page_its_styles_and_health_are_anonymous(string path)
    {
        using var console = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.App.GetEndpoint("dashboard", "http") };

        using var response = await console.GetAsync(path).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// The open redirect: a link to the sign-in page whose return URL is another site. An operator who signs in through
    /// it lands on the console's root, not on the attacker's page.
    /// </summary>
    [Fact]
    public async Task A_sign_in_link_cannot_send_the_operator_to_another_site()
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync("operator-open-redirect", ["admin"]);
        var consoleAddress = fixture.App.GetEndpoint("dashboard", "http");
        using var console = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
            { BaseAddress = consoleAddress };
        const string link = "/signin?returnUrl=https%3A%2F%2Fevil.example%2F";

        // The form as the browser gets it (its antiforgery token and handler name), with the key filled in.
        var form = ConsoleForms.HiddenFields(await console.GetStringAsync(link).WaitAsync(Timeout));
        form["Form.Key"] = key;
        using var signedIn = await console.PostAsync(link, new FormUrlEncodedContent(form)).WaitAsync(Timeout);

        Assert.True((int)signedIn.StatusCode is >= 300 and < 400, $"{(int)signedIn.StatusCode} {await signedIn.Content.ReadAsStringAsync()}");
        var destination = new Uri(consoleAddress, signedIn.Headers.Location!);
        Assert.Equal(consoleAddress.Authority, destination.Authority);
        Assert.Equal("/", destination.PathAndQuery);
    }

    /// <summary>
    /// With <c>Console:Oidc</c> configured, an anonymous visit goes to the identity provider's authorize endpoint with
    /// the console's client id (the provider: a discovery document served by the test).
    /// </summary>
    [Fact]
    public async Task With_oidc_configured_an_anonymous_visit_redirects_to_the_identity_providers_authorize_endpoint()
    {
        await using var provider = await TestIdentityProvider.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:cache"] = await fixture.App.GetConnectionStringAsync("cache"),
            ["Gateway:BaseAddress"] = fixture.App.GetEndpoint("gateway", "http").ToString(),
            ["Console:Oidc:Authority"] = provider.Authority.ToString(),
            ["Console:Oidc:ClientId"] = "aifactory-console",
            ["Console:Oidc:ClientSecret"] = "test-client-secret",
            ["Console:Oidc:Scopes:0"] = "aifactory-gateway",
            ["Console:Oidc:RequireHttpsMetadata"] = "false",
        };
        await using var factory = new WebApplicationFactory<ConsoleProgram>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync("/keys").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith(provider.AuthorizeEndpoint + "?", location);
        Assert.Contains("client_id=aifactory-console", location);
        Assert.Contains("response_type=code", location);
        Assert.Contains("aifactory-gateway", location);
        Assert.DoesNotContain("test-client-secret", location);
    }
}
