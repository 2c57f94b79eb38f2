using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// OpenID Connect bearer tokens for the admin API (<c>Gateway:Oidc</c>), for operators who sign in to the console
/// through an identity provider. Off unless <see cref="Authority"/> is set. A token must come from the authority, name
/// <see cref="Audience"/> and carry <see cref="AdminRole"/> in its <see cref="RoleClaim"/> claim; it grants the admin
/// scope only, as the key id <c>oidc:&lt;subject&gt;</c>.
/// </summary>
public sealed class OidcOptions : IValidatableObject
{
    public const string SectionName = "Gateway:Oidc";

    /// <summary>The issuer; its discovery document (<c>/.well-known/openid-configuration</c>) gives the signing keys.</summary>
    public Uri? Authority { get; set; }

    /// <summary>The audience a token must name: the API the identity provider issues tokens for.</summary>
    public string? Audience { get; set; }

    /// <summary>The claim that lists a subject's roles (Keycloak and Entra ID: <c>roles</c>).</summary>
    [Required]
    public string RoleClaim { get; set; } = "roles";

    /// <summary>The role that makes a token an admin credential.</summary>
    [Required]
    public string AdminRole { get; set; } = "aifactory-admin";

    /// <summary>Off only for an identity provider on plain HTTP in development and tests.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => Authority is not null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && string.IsNullOrWhiteSpace(Audience))
        {
            yield return new ValidationResult($"{SectionName}:Audience is required when {SectionName}:Authority is set", [nameof(Audience)]);
        }
    }
}
