using AiFactory.Gateway.Errors;

namespace AiFactory.Gateway.Routing;

/// <summary>The Open Inference Protocol operations the gateway forwards, over REST and gRPC alike.</summary>
public enum OipOperation
{
    ServerMetadata,
    ServerLive,
    ServerReady,
    ModelMetadata,
    ModelReady,
    ModelInfer,
    ModelStatistics,
    AllModelStatistics,
    RepositoryIndex,
    RepositoryModelLoad,
    RepositoryModelUnload,
}

/// <summary>
/// What a request asks of inference: the operation and the model and version it names. Parsed once per request by
/// <see cref="OipParser"/>; routing, the allow-list, metering and the cache all read it here, so they cannot
/// disagree on the model. A gRPC call names its model inside its message: <see cref="Model"/> stays null until
/// <see cref="GrpcModelTarget"/> has read it (for keys with a model allow-list).
/// </summary>
public sealed record OipTarget(OipOperation Operation, bool IsGrpc, string? Model = null, string? Version = null)
{
    private static readonly object ItemKey = new();

    /// <summary>True for the operations on one model (its name in the path, or in the gRPC message).</summary>
    public bool NamesModel => Operation is OipOperation.ModelMetadata or OipOperation.ModelReady or OipOperation.ModelInfer
        or OipOperation.ModelStatistics or OipOperation.RepositoryModelLoad or OipOperation.RepositoryModelUnload;

    /// <summary>True for the answers that list every model inference serves.</summary>
    public bool ListsModels => Operation is OipOperation.AllModelStatistics or OipOperation.RepositoryIndex;

    /// <summary>The request's target; null when the gateway refuses it for what it addresses (<see cref="RefusalOf"/>).</summary>
    public static OipTarget? Of(HttpContext context) => Parsed(context).Target;

    /// <summary>Why the request is refused for what it addresses; null when it is one of the protocol's.</summary>
    public static Refusal? RefusalOf(HttpContext context) => Parsed(context).Refusal;

    /// <summary>Records what the request's gRPC message turned out to name, or why it was refused.</summary>
    public static void Record(HttpContext context, OipParse parse) => context.Items[ItemKey] = parse;

    private static OipParse Parsed(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var parsed))
        {
            return (OipParse)parsed!;
        }

        var parse = OipParser.Parse(context.Request.Path.Value ?? "", GatewayErrors.IsGrpc(context.Request));
        context.Items[ItemKey] = parse;
        return parse;
    }
}

/// <summary>The outcome of parsing what a request addresses: its target, or why it is refused.</summary>
public sealed record OipParse(OipTarget? Target, Refusal? Refusal);
