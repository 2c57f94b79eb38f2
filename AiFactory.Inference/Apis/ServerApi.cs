using AiFactory.Inference.Protocol;
using AiFactory.Inference.Protocol.Rest;
using AiFactory.Inference.Repository;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Inference.Apis;

/// <summary>Server health and metadata (Open Inference Protocol).</summary>
public static class ServerApi
{
    public const string ServerName = "aifactory-inference";

    /// <summary>The protocol extensions this server implements.</summary>
    public static readonly string[] Extensions = ["binary_tensor_data", "model_repository", "statistics"];

    public static IEndpointRouteBuilder MapServerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v2").WithTags("Server");

        api.MapGet("/", GetServerMetadata).WithName("ServerMetadata").WithSummary("Server name, version and extensions");
        api.MapGet("/health/live", () => TypedResults.Ok()).WithName("ServerLive").WithSummary("200 while the process serves requests");
        api.MapGet("/health/ready", GetServerReady).WithName("ServerReady").WithSummary("200 when every model in the repository is ready");

        return app;
    }

    /// <summary>The server version reported in metadata: the assembly's.</summary>
    public static string ServerVersion { get; } = typeof(ServerApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static Ok<ServerMetadataResponse> GetServerMetadata() =>
        TypedResults.Ok(new ServerMetadataResponse(ServerName, ServerVersion, Extensions));

    /// <summary>
    /// Strict, as the protocol defines it: ready only when every model is. Kubernetes readiness uses <c>/health</c>
    /// instead, which stays up while one broken model is unavailable, so the others keep serving.
    /// </summary>
    private static Ok GetServerReady(ModelRepository repository) =>
        repository.IsServerReady(out var reason) ? TypedResults.Ok() : throw InferenceError.Unavailable(reason);
}
