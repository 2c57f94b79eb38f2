using AiFactory.Gateway.Metering;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiFactory.Gateway.Apis;

/// <summary><c>/api/admin/usage</c>: requests per key, model, version and status over a time range (admin scope).</summary>
public static class UsageApi
{
    private static readonly TimeSpan DefaultRange = TimeSpan.FromDays(1);

    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        app.MapAdminGroup("/api/admin/usage").WithTags("Usage")
            .MapGet("/", QueryAsync).WithName("QueryUsage")
            .WithSummary("Usage written so far, by key, model, version and status, in [from, to) (default: the last day)");
        return app;
    }

    private static async Task<Results<Ok<UsageReport>, BadRequest<ErrorBody>>> QueryAsync(
        UsageStore store, CancellationToken cancellationToken, DateTimeOffset? from = null, DateTimeOffset? to = null,
        [FromQuery(Name = "key_id")] string? keyId = null, string? model = null)
    {
        var end = (to ?? DateTimeOffset.UtcNow.AddMinutes(1)).UtcDateTime;
        var start = (from ?? end - DefaultRange).UtcDateTime;
        if (start >= end)
        {
            return TypedResults.BadRequest(new ErrorBody("'from' must be before 'to'"));
        }

        var rows = await store.QueryAsync(start, end, keyId, model, cancellationToken);
        return TypedResults.Ok(new UsageReport(start, end, rows.Sum(row => row.Requests), rows));
    }
}
