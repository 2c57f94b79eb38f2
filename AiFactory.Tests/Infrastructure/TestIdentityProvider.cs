using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// A minimal OpenID Connect identity provider on 127.0.0.1, standing for an external one we do not ship: its discovery
/// document, its signing keys, and tokens it signs for the tests. No login UI: the tests stop at its authorize endpoint.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "test-signing-key" };

    private TestIdentityProvider(WebApplication app) => _app = app;

    public Uri Authority { get; private set; } = null!;

    public string AuthorizeEndpoint => new Uri(Authority, "authorize").ToString();

    public static async Task<TestIdentityProvider> StartAsync()
    {
        // A content root of its own: the test folder's appsettings.json (inference's, with its Kestrel ports) must not apply.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.CreateTempSubdirectory("aifactory-idp-").FullName });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        var provider = new TestIdentityProvider(builder.Build());
        provider.Map();
        await provider._app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = provider._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        provider.Authority = new Uri(address.TrimEnd('/') + "/");
        return provider;
    }

    /// <summary>An access token signed with this provider's key; <paramref name="issuer"/> defaults to this provider.</summary>
    public string Token(string subject, string audience, string[] roles, string? issuer = null, SecurityKey? signingKey = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("preferred_username", subject)]),
            Claims = new Dictionary<string, object> { ["roles"] = roles },
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(signingKey ?? _key, SecurityAlgorithms.RsaSha256),
        });

    private string Issuer => Authority.ToString().TrimEnd('/');

    private void Map()
    {
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = AuthorizeEndpoint,
            ["token_endpoint"] = new Uri(Authority, "token").ToString(),
            ["jwks_uri"] = new Uri(Authority, "jwks").ToString(),
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.Rsa.ExportParameters(false)) { KeyId = _key.KeyId });
            return Results.Text(JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = jwk.Kid, n = jwk.N, e = jwk.E } } }), "application/json");
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
