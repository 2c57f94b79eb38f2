using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Inference.Apis;

/// <summary>Server health and metadata (Open Inference Protocol).</summary>
public static class ServerApi
{
    public const string ServerName = "aifactory-inference";

    /// <summary>The protocol extensions this server implements.</summary>
    public static readonly string[] Extensions = ["model_repository"];

    public static IEndpointRouteBuilder MapServerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v2").WithTags("Server");

        api.MapGet("/", GetServerMetadata).WithName("ServerMetadata").WithSummary("Server name, version and extensions");
        api.MapGet("/health/live", () => TypedResults.Ok()).WithName("ServerLive").WithSummary("200 while the process serves requests");
        api.MapGet("/health/ready", GetServerReady).WithName("ServerReady").WithSummary("200 once every model found at start has loaded or failed");

        return app;
    }

    private static Ok<ServerMetadataResponse> GetServerMetadata() =>
        TypedResults.Ok(new ServerMetadataResponse(ServerName, typeof(ServerApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0", Extensions));

    private static Results<Ok, JsonHttpResult<ErrorResponse>> GetServerReady(ModelRepository repository) =>
        repository.InitialLoadDone
            ? TypedResults.Ok()
            : TypedResults.Json(new ErrorResponse("the model repository is still loading"), statusCode: StatusCodes.Status503ServiceUnavailable);
}
