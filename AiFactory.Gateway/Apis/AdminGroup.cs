using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using Npgsql;

namespace AiFactory.Gateway.Apis;

public static class AdminGroup
{
    /// <summary>
    /// A group of admin endpoints: admin scope required; a refusal (<see cref="RequestRefusedException"/>) answered with
    /// its status and message, and a database that cannot be reached as 503, in the protocol's error shape rather than
    /// a 500.
    /// </summary>
    public static RouteGroupBuilder MapAdminGroup(this IEndpointRouteBuilder app, string prefix)
    {
        var group = app.MapGroup(prefix).RequireAuthorization(ApiKeyScopes.Admin);
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (RequestRefusedException e)
            {
                await GatewayErrors.WriteAsync(context.HttpContext, e.Status, e.Message);
                return Results.Empty;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                await GatewayErrors.WriteAsync(context.HttpContext, StatusCodes.Status503ServiceUnavailable, "the database is unavailable: " + e.Message);
                return Results.Empty;
            }
        });
        return group;
    }
}
