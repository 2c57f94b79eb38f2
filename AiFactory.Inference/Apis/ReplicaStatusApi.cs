using System.Text.Json.Serialization;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Inference.Apis;

/// <summary>
/// <c>GET /internal/status</c>: what only this replica knows, for the gateway's overview (queue depth, the model versions
/// it holds and the execution provider each runs on) and the registry (the execution providers it can use). Not under <c>/v2</c>, so the gateway never proxies it; in a
/// cluster only the gateway reaches inference (NetworkPolicy).
/// </summary>
public static class ReplicaStatusApi
{
    public const string Path = "/internal/status";

    public static IEndpointRouteBuilder MapReplicaStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, Status).WithName("ReplicaStatus").WithSummary("This replica's queue depth and model versions, for the gateway's overview");
        return app;
    }

    private static Ok<ReplicaStatus> Status(ModelRepository repository, QueueDepthObserver queue) =>
        TypedResults.Ok(new ReplicaStatus(
            repository.InitialLoadDone,
            queue.Items,
            [.. repository.Entries.OrderBy(entry => entry.Name, StringComparer.Ordinal).ThenBy(entry => entry.Version, StringComparer.Ordinal)
                .Select(entry => new ReplicaModel(entry.Name, entry.Version, entry.State, entry.Model?.Provider))],
            ProviderProbe.Usable));
}

public sealed record ReplicaStatus(
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("queue_depth")] long QueueDepth,
    [property: JsonPropertyName("models")] List<ReplicaModel> Models,
    [property: JsonPropertyName("providers")] IReadOnlyList<string> Providers);

public sealed record ReplicaModel(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("provider")] string? Provider);

[JsonSerializable(typeof(ReplicaStatus))]
internal sealed partial class ReplicaStatusJsonContext : JsonSerializerContext;
