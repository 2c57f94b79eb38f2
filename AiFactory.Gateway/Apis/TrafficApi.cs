using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Gateway.Apis;

/// <summary><c>/api/admin/models/{model}/traffic</c> and <c>/rollback</c>: the split of a model's traffic between its versions (admin scope).</summary>
public static class TrafficApi
{
    public static IEndpointRouteBuilder MapTrafficApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup(ModelsApi.Prefix).WithTags("Traffic");
        api.MapPut("/{model}/traffic", SetAsync).WithName("SetModelTraffic")
            .WithSummary("Split the model's traffic between its ready versions, atomically; the policy replaced becomes the rollback target")
            .WithDescription("Weights are whole percents (0-100) summing to 100. A version whose validation found its signature incompatible with "
                             + "the version taking traffic gets traffic only with \"force\": true and a reason (audited as traffic.forced).")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound)
            .Produces<ErrorBody>(StatusCodes.Status409Conflict);
        api.MapPost("/{model}/rollback", RollbackAsync).WithName("RollbackModelTraffic")
            .WithSummary("Return to the policy in force before the current one; again goes further back")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound)
            .Produces<ErrorBody>(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Ok<TrafficView>> SetAsync(
        string model, TrafficRequest request, HttpContext context, RegistryStore registry, IObservedTraffic observed, CancellationToken cancellationToken)
    {
        RegistryNames.Model(model);
        var weights = Weights(request.Weights);
        var policy = await registry.SetTrafficAsync(model, weights, Reason(request.Reason), request.Force == true, context.GetApiKey()!.Id, cancellationToken);
        return TypedResults.Ok(TrafficView.Of(model, policy, observed));
    }

    private static async Task<Ok<TrafficView>> RollbackAsync(
        string model, RollbackRequest request, HttpContext context, RegistryStore registry, IObservedTraffic observed, CancellationToken cancellationToken)
    {
        RegistryNames.Model(model);
        var policy = (await registry.RollbackAsync(model, Reason(request.Reason), context.GetApiKey()!.Id, cancellationToken))!;
        return TypedResults.Ok(TrafficView.Of(model, policy, observed));
    }

    private static SortedDictionary<int, int> Weights(Dictionary<string, int>? weights)
    {
        if (weights is not { Count: > 0 })
        {
            throw RequestRefusedException.BadRequest("'weights' is required: {\"<version>\": percent, ...}, whole percents summing to 100");
        }

        var parsed = new SortedDictionary<int, int>();
        foreach (var (key, weight) in weights)
        {
            if (!RegistryNames.TryVersion(key, out var version))
            {
                throw RequestRefusedException.BadRequest($"'weights' has the key {RegistryNames.Quote(key)}, which is not a version (a positive integer)");
            }

            parsed[version] = weight is >= 0 and <= 100
                ? weight
                : throw RequestRefusedException.BadRequest($"'weights.{version}' must be between 0 and 100, not {weight}");
        }

        var sum = parsed.Values.Sum();
        return sum == 100 ? parsed : throw RequestRefusedException.BadRequest($"'weights' must sum to 100, not {sum}");
    }

    private static string Reason(string? reason) =>
        string.IsNullOrWhiteSpace(reason) || reason.Length > RegistryStore.MaxReasonLength
            ? throw RequestRefusedException.BadRequest($"'reason' is required, at most {RegistryStore.MaxReasonLength} characters: say why (it goes into the audit log)")
            : reason.Trim();
}
