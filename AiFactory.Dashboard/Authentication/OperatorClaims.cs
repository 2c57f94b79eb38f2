using System.Security.Claims;
using AiFactory.Dashboard.Gateway;

namespace AiFactory.Dashboard.Authentication;

/// <summary>
/// The signed-in operator as the console's authentication ticket holds them. The ticket stays on the server (Redis,
/// encrypted with Data Protection: <see cref="RedisTicketStore"/>); the browser's cookie carries only its id, so the
/// credential claim never reaches the browser.
/// </summary>
public static class OperatorClaims
{
    /// <summary>The API key or OIDC access token the console presents to the gateway on the operator's behalf.</summary>
    public const string Credential = "aifactory:credential";

    /// <summary>The gateway's id of the operator: a key id, or <c>oidc:&lt;subject&gt;</c>.</summary>
    public const string KeyId = "aifactory:key_id";

    public const string Scope = "aifactory:scope";

    public static ClaimsPrincipal Principal(Caller caller, string credential, string authenticationType) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, caller.Name), new Claim(KeyId, caller.Id), new Claim(Credential, credential),
             .. caller.Scopes.Select(scope => new Claim(Scope, scope))],
            authenticationType));

    public static string? CredentialOf(ClaimsPrincipal? principal) => principal?.FindFirst(Credential)?.Value;

    public static string KeyIdOf(ClaimsPrincipal principal) => principal.FindFirst(KeyId)?.Value ?? "";
}
