using System.Security.Claims;
using AiFactory.Gateway.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace AiFactory.Gateway.Authentication;

/// <summary>Admin access with an OpenID Connect access token beside API keys (<see cref="OidcOptions"/>).</summary>
public static class OidcBearerExtensions
{
    /// <summary>The default scheme when OIDC is on: a JWT goes to JwtBearer, anything else is an API key.</summary>
    public const string SelectorScheme = "ApiKeyOrOidc";

    /// <summary>
    /// Registers API-key authentication and, when <c>Gateway:Oidc:Authority</c> is set, JwtBearer for tokens of that
    /// authority and audience. The key id of a token's caller is <c>oidc:&lt;subject&gt;</c>, so metering and the audit
    /// log name the operator.
    /// </summary>
    public static AuthenticationBuilder AddGatewayAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var oidc = configuration.GetSection(OidcOptions.SectionName).Get<OidcOptions>() ?? new OidcOptions();
        var authentication = services.AddAuthentication(oidc.Enabled ? SelectorScheme : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        if (!oidc.Enabled)
        {
            return authentication;
        }

        return authentication
            .AddPolicyScheme(SelectorScheme, "API key or OpenID Connect token", policy =>
                policy.ForwardDefaultSelector = context => IsJwt(context.Request) ? JwtBearerDefaults.AuthenticationScheme : ApiKeyAuthenticationHandler.SchemeName)
            .AddJwtBearer(bearer =>
            {
                bearer.Authority = oidc.Authority!.ToString();
                bearer.Audience = oidc.Audience;
                bearer.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                bearer.MapInboundClaims = false;
                bearer.TokenValidationParameters.RoleClaimType = oidc.RoleClaim;
                bearer.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context => Admit(context, oidc),
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        context.Response.Headers.WWWAuthenticate = "Bearer";
                        await GatewayErrors.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized,
                            $"the OpenID Connect token is not valid: {new[] { context.AuthenticateFailure?.Message, context.ErrorDescription }.FirstOrDefault(reason => !string.IsNullOrEmpty(reason)) ?? "none was accepted"}");
                    },
                    OnForbidden = context => GatewayErrors.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden,
                        "an OpenID Connect token grants the 'admin' scope only"),
                };
            });
    }

    /// <summary>A token with the admin role becomes a caller with the admin scope; one without is refused.</summary>
    private static Task Admit(TokenValidatedContext context, OidcOptions oidc)
    {
        var principal = context.Principal!;
        var subject = principal.FindFirstValue("sub");
        if (string.IsNullOrEmpty(subject) || !principal.HasClaim(oidc.RoleClaim, oidc.AdminRole))
        {
            context.Fail(string.IsNullOrEmpty(subject) ? "the token has no 'sub' claim" : $"the token's '{oidc.RoleClaim}' claim does not include '{oidc.AdminRole}'");
            return Task.CompletedTask;
        }

        var name = principal.FindFirstValue("preferred_username") ?? principal.FindFirstValue("name") ?? subject;
        var key = new ApiKey($"oidc:{subject}", name, [ApiKeyScopes.Admin], null, null, null, null, DateTimeOffset.MinValue, null);
        context.HttpContext.SetApiKey(key);
        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, key.Id), new Claim(ClaimTypes.Name, name), new Claim(ApiKeyAuthenticationHandler.ScopeClaim, ApiKeyScopes.Admin)],
            JwtBearerDefaults.AuthenticationScheme));
        return Task.CompletedTask;
    }

    // A JWT is three base64url segments; API keys (afk_<id>_<secret>, or a configured hex key) have no dot.
    private static bool IsJwt(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
               && authorization.AsSpan("Bearer ".Length).Trim().Count('.') == 2;
    }
}
