using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiFactory.Gateway.Apis;

/// <summary><c>/api/admin/audit</c>: who did what, newest first (admin scope).</summary>
public static class AuditApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapAdminGroup("/api/admin/audit").WithTags("Audit")
            .MapGet("/", QueryAsync).WithName("QueryAudit")
            .WithSummary("Audit entries, newest first: every upload, validation, traffic change, rollback and key change with the key id that made it")
            .WithDescription($"Filters: model, key_id ('system' for the gateway itself), action, from (inclusive), to (exclusive); limit 1-{MaxLimit} (default {DefaultLimit}).")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task<Ok<AuditEntryView[]>> QueryAsync(
        AuditLog audit, CancellationToken cancellationToken, string? model = null, [FromQuery(Name = "key_id")] string? keyId = null,
        string? action = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int limit = DefaultLimit)
    {
        if (limit is < 1 or > MaxLimit)
        {
            throw RequestRefusedException.BadRequest($"'limit' must be between 1 and {MaxLimit}, not {limit}");
        }

        if (from >= to)
        {
            throw RequestRefusedException.BadRequest("'from' must be before 'to'");
        }

        var entries = await audit.QueryAsync(new AuditQuery(model, keyId, action, from, to, limit), cancellationToken);
        return TypedResults.Ok(entries.Select(AuditEntryView.Of).ToArray());
    }
}
