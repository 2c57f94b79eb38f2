using AiFactory.Gateway.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Gateway.Apis;

/// <summary>
/// <c>GET /api/admin/whoami</c>: the caller's key (id, name, scopes). The operators' console signs an operator in with
/// it: a key the gateway does not accept, or one without the admin scope, gets the gateway's own 401/403/429.
/// </summary>
public static class WhoAmIApi
{
    public static IEndpointRouteBuilder MapWhoAmIApi(this IEndpointRouteBuilder app)
    {
        app.MapAdminGroup("/api/admin/whoami").WithTags("API keys")
            .MapGet("/", Get).WithName("WhoAmI").WithSummary("The calling key's id, name and scopes (admin scope)");
        return app;
    }

    private static Ok<CallerView> Get(HttpContext context)
    {
        var key = context.GetApiKey()!;
        return TypedResults.Ok(new CallerView(key.Id, key.Name, key.Scopes));
    }
}

/// <summary>Who called: a key's id (<c>oidc:&lt;subject&gt;</c> for an OpenID Connect token), name and scopes.</summary>
public sealed record CallerView(string Id, string Name, string[] Scopes);
