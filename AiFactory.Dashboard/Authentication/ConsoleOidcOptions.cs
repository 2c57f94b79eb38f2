namespace AiFactory.Dashboard.Authentication;

/// <summary>
/// OpenID Connect sign-in (<c>Console:Oidc</c>), off unless <see cref="Authority"/> is set. The console then sends
/// operators to the identity provider and calls the gateway with their access token, which the gateway accepts when its
/// <c>Gateway:Oidc</c> names the same authority (and the token's audience).
/// </summary>
public sealed class ConsoleOidcOptions
{
    public const string SectionName = "Console:Oidc";

    public Uri? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>From configuration or the environment only (<c>Console__Oidc__ClientSecret</c>), never a command line.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Scopes asked for besides <c>openid</c> and <c>profile</c>: those that put the gateway's audience in the access token.</summary>
    public string[] Scopes { get; set; } = [];

    /// <summary>Off only for an identity provider on plain HTTP in development and tests.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => Authority is not null;
}
