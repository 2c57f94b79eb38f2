using AiFactory.Inference.Protocol;
using AiFactory.Inference.Protocol.Rest;
using AiFactory.Inference.Repository;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Inference.Apis;

/// <summary>The <c>model_repository</c> extension: what the repository holds and in which state.</summary>
/// <remarks>Refusals are <see cref="InferenceError"/>s, answered by <see cref="InferenceErrorHandler"/>.</remarks>
public static class RepositoryApi
{
    public static IEndpointRouteBuilder MapRepositoryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v2/repository").WithTags("Repository");

        api.MapPost("/index", GetIndexAsync).WithName("RepositoryIndex").WithSummary("Every model version with its state");
        api.MapPost("/models/{model}/load", LoadAsync).WithName("RepositoryModelLoad").WithSummary("Load or reload a model (from the folder, or as the registry wants it)");
        api.MapPost("/models/{model}/unload", UnloadAsync).WithName("RepositoryModelUnload").WithSummary("Unload every version of a model");

        return app;
    }

    private static async Task<Ok> LoadAsync(string model, IModelControl control, CancellationToken cancellationToken)
    {
        await control.LoadAsync(model, cancellationToken);
        return TypedResults.Ok();
    }

    private static async Task<Ok> UnloadAsync(string model, IModelControl control, CancellationToken cancellationToken)
    {
        await control.UnloadAsync(model, cancellationToken);
        return TypedResults.Ok();
    }

    private static async Task<Ok<List<RepositoryIndexEntry>>> GetIndexAsync(HttpRequest request, ModelRepository repository)
    {
        // The body is optional: {"ready": true} keeps only the versions that can serve.
        var readyOnly = false;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                var filter = await System.Text.Json.JsonSerializer.DeserializeAsync(
                    request.Body, ProtocolJsonContext.Default.RepositoryIndexRequest, request.HttpContext.RequestAborted);
                readyOnly = filter?.Ready ?? false;
            }
            catch (System.Text.Json.JsonException e)
            {
                throw InferenceError.InvalidArgument($"malformed JSON: {e.Message}");
            }
        }

        return TypedResults.Ok(repository.Entries
            .Where(entry => !readyOnly || entry.IsReady)
            .Select(entry => new RepositoryIndexEntry(entry.Name, entry.Version, entry.State, entry.Reason))
            .ToList());
    }
}
