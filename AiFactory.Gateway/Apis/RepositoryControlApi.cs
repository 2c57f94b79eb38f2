using AiFactory.Gateway.ModelControl;
using AiFactory.Gateway.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Gateway.Apis;

/// <summary>
/// <c>/v2/repository/models/{model}/load|unload</c>, the protocol's <c>model_repository</c> extension (admin scope),
/// at the paths Triton clients call. Not proxied to one replica: told to every replica (<see cref="RepositoryBroadcast"/>),
/// and answered 200 only when every one of them did it.
/// </summary>
public static class RepositoryControlApi
{
    public static IEndpointRouteBuilder MapRepositoryControlApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup("/v2/repository/models").WithTags("Model repository");
        api.MapPost("/{model}/load", (string model, RepositoryBroadcast replicas, CancellationToken cancellationToken) =>
                ApplyAsync(model, RepositoryOperation.Load, replicas, cancellationToken))
            .WithName("RepositoryModelLoad").WithSummary("Load (or reload) a model on every inference replica");
        api.MapPost("/{model}/unload", (string model, RepositoryBroadcast replicas, CancellationToken cancellationToken) =>
                ApplyAsync(model, RepositoryOperation.Unload, replicas, cancellationToken))
            .WithName("RepositoryModelUnload").WithSummary("Unload every version of a model on every inference replica");
        // Anything else below this path is no operation of the extension: answered here, never proxied to a replica.
        api.Map("/{**rest}", () => TypedResults.NotFound(new ErrorBody("the model repository operations are POST /v2/repository/models/{model}/load and /unload")))
            .WithName("RepositoryModelUnknownOperation").ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<Ok, JsonHttpResult<ErrorBody>>> ApplyAsync(
        string model, RepositoryOperation operation, RepositoryBroadcast replicas, CancellationToken cancellationToken)
    {
        if (!ModelName.IsValid(model))
        {
            return Error(StatusCodes.Status400BadRequest, model.Length > ModelName.MaxLength
                ? $"the model name has {model.Length} characters, more than {ModelName.MaxLength}"
                : $"'{model}' is not a model name: letters, digits, '-', '_' and '.', not starting with '.'");
        }

        var outcomes = await replicas.SendAsync(model, operation, cancellationToken);
        if (outcomes.Length == 0)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "no inference replica is available");
        }

        var failed = outcomes.Where(outcome => !outcome.Succeeded).ToList();
        if (failed.Count == 0)
        {
            return TypedResults.Ok();
        }

        // Every replica refusing alike (an unknown model: 404 everywhere) is their common answer; a replica that could
        // not be told, or replicas that disagree, leave the repository differing between replicas: the gateway's failure.
        var status = failed.Count == outcomes.Length && failed.All(outcome => outcome.Status == failed[0].Status)
                     && failed[0].Status != ReplicaOutcome.Unreachable
            ? failed[0].Status
            : StatusCodes.Status502BadGateway;
        return Error(status, $"{operation.ToString().ToLowerInvariant()} of model '{model}' failed on {failed.Count} of {outcomes.Length} inference replicas: "
                             + string.Join("; ", failed.Select(outcome => $"{outcome.Replica} at {outcome.Address}: {outcome.Error}")));
    }

    private static JsonHttpResult<ErrorBody> Error(int status, string message) => TypedResults.Json(new ErrorBody(message), statusCode: status);
}
