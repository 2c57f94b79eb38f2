using System.Net.Http.Headers;
using Microsoft.AspNetCore.Components.Authorization;

namespace AiFactory.Dashboard.Authentication;

/// <summary>
/// Puts the signed-in operator's credential (from the server-side ticket's principal) on every admin API call. Created
/// per scope by <see cref="Gateway.AdminApiClientFactory"/>, so in a Blazor circuit it reads the circuit's own user
/// (a handler made by IHttpClientFactory would live in another scope and see no circuit).
/// </summary>
public sealed class OperatorCredentialHandler(AuthenticationStateProvider? circuitUser, IHttpContextAccessor http) : DelegatingHandler
{
    /// <summary>Set on a request that carries its own credential (the sign-in check of a key).</summary>
    public static readonly HttpRequestOptionsKey<bool> ExplicitCredential = new("aifactory.explicit-credential");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(ExplicitCredential, out var explicitCredential) || !explicitCredential)
        {
            var credential = OperatorClaims.CredentialOf(await UserAsync())
                             ?? throw new Gateway.GatewayApiException(StatusCodes.Status401Unauthorized, "you are not signed in");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private async Task<System.Security.Claims.ClaimsPrincipal?> UserAsync()
    {
        if (circuitUser is not null)
        {
            try
            {
                return (await circuitUser.GetAuthenticationStateAsync()).User;
            }
            catch (InvalidOperationException)
            {
                // Outside a circuit (an endpoint such as the CSV export): the request's own user.
            }
        }

        return http.HttpContext?.User;
    }
}
