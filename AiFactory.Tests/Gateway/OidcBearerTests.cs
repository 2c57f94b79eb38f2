using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// A gateway with <c>Gateway:Oidc</c> accepts an identity provider's access tokens for the admin scope, naming the
/// caller <c>oidc:&lt;subject&gt;</c>, and refuses tokens another issuer or for another audience, or without the role.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class OidcBearerTests(AppHostFixture fixture) : IAsyncLifetime
{
    private const string Audience = "aifactory-gateway";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private TestIdentityProvider _provider = null!;
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync()
    {
        _provider = await TestIdentityProvider.StartAsync();
        _gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["Gateway:Oidc:Authority"] = _provider.Authority.ToString(),
            ["Gateway:Oidc:Audience"] = Audience,
            ["Gateway:Oidc:RequireHttpsMetadata"] = "false",
        });
    }

    [Fact]
    public async Task A_token_of_the_authority_with_the_admin_role_is_an_admin_caller_named_by_its_subject()
    {
        var (status, body) = await WhoAmIAsync(_provider.Token("alice", Audience, ["aifactory-admin"]));

        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body}");
        var caller = JsonNode.Parse(body)!;
        Assert.Equal("oidc:alice", caller["id"]!.GetValue<string>());
        Assert.Equal("alice", caller["name"]!.GetValue<string>());
        Assert.Equal(["admin"], caller["scopes"]!.AsArray().Select(scope => scope!.GetValue<string>()));
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_refused_even_when_signed_with_a_trusted_key()
    {
        var (status, body) = await WhoAmIAsync(_provider.Token("mallory", Audience, ["aifactory-admin"], issuer: "http://127.0.0.1:1/evil"));

        Assert.True(status == HttpStatusCode.Unauthorized, $"{(int)status} {body}");
        Assert.StartsWith("the OpenID Connect token is not valid", OipRequests.ErrorOf(body).GetString());
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        var (status, body) = await WhoAmIAsync(_provider.Token("mallory", "some-other-api", ["aifactory-admin"]));

        Assert.True(status == HttpStatusCode.Unauthorized, $"{(int)status} {body}");
        Assert.StartsWith("the OpenID Connect token is not valid", OipRequests.ErrorOf(body).GetString());
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        var forged = _provider.Token("mallory", Audience, ["aifactory-admin"], signingKey: new RsaSecurityKey(RSA.Create(2048)) { KeyId = "test-signing-key" });

        var (status, body) = await WhoAmIAsync(forged);

        Assert.True(status == HttpStatusCode.Unauthorized, $"{(int)status} {body}");
    }

    [Fact]
    public async Task A_valid_token_without_the_admin_role_is_refused_naming_the_role()
    {
        var (status, body) = await WhoAmIAsync(_provider.Token("bob", Audience, ["viewer"]));

        Assert.True(status == HttpStatusCode.Unauthorized, $"{(int)status} {body}");
        Assert.Contains("does not include 'aifactory-admin'", OipRequests.ErrorOf(body).GetString());
    }

    [Fact]
    public async Task Api_keys_still_work_beside_tokens()
    {
        var (status, body) = await WhoAmIAsync(fixture.AdminKey);

        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body}");
        Assert.Equal("bootstrap", JsonNode.Parse(body)!["id"]!.GetValue<string>());
    }

    private async Task<(HttpStatusCode Status, string Body)> WhoAmIAsync(string credential)
    {
        using var client = _gateway.CreateClient(credential);
        using var response = await client.GetAsync("/api/admin/whoami").WaitAsync(Timeout);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _provider.DisposeAsync();
    }
}
