using AiFactory.Gateway.Errors;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// The one parser of what a request addresses. REST: exactly the protocol's paths, case-sensitive, as ASP.NET Core
/// decoded them (once; an encoded '/' stays "%2F"), with the model and version valid by <see cref="ModelName"/>. A
/// name that would need decoding again ("%2500", "%2F") or holds anything else ModelName refuses is refused, never
/// decoded further, so the path that is checked is the path that is forwarded. gRPC: exactly the methods of
/// <c>inference.GRPCInferenceService</c>. Anything else is refused here, before the allow-list, metering, the cache
/// or a replica sees it: YARP's routes and inference's own routing match case-insensitively, so a path they would
/// take must never reach them in a form the gateway did not check.
/// </summary>
public static class OipParser
{
    private const string GrpcService = "/inference.GRPCInferenceService/";

    public static OipParse Parse(string path, bool isGrpc) => isGrpc ? ParseGrpcMethod(path) : ParsePath(path);

    /// <summary>Null when the model name and version (null: none named) follow <see cref="ModelName"/>'s rule.</summary>
    public static Refusal? CheckNames(string model, string? version)
    {
        if (!ModelName.IsValid(model))
        {
            return new Refusal(StatusCodes.Status400BadRequest,
                $"invalid model name {Refusal.Quote(model)}: a model name is 1 to {ModelName.MaxLength} ASCII letters, digits, '-', '_' or '.', not starting with '.'");
        }

        return version is null || ModelName.IsValidVersion(version)
            ? null
            : new Refusal(StatusCodes.Status400BadRequest,
                $"invalid model version {Refusal.Quote(version)}: a version is a positive integer, without sign or leading zeros");
    }

    private static OipParse ParsePath(string path) => path.Split('/') switch
    {
        ["", "v2"] => Found(OipOperation.ServerMetadata),
        ["", "v2", "health", "live"] => Found(OipOperation.ServerLive),
        ["", "v2", "health", "ready"] => Found(OipOperation.ServerReady),
        // Before {model}: as in inference's routing, "stats" here is every model's statistics, not a model.
        ["", "v2", "models", "stats"] => Found(OipOperation.AllModelStatistics),
        ["", "v2", "models", var model] => OfModel(OipOperation.ModelMetadata, model, null, path),
        ["", "v2", "models", var model, var action] => OfModel(ModelAction(action), model, null, path),
        ["", "v2", "models", var model, "versions", var version] => OfModel(OipOperation.ModelMetadata, model, version, path),
        ["", "v2", "models", var model, "versions", var version, var action] => OfModel(ModelAction(action), model, version, path),
        ["", "v2", "repository", "index"] => Found(OipOperation.RepositoryIndex),
        ["", "v2", "repository", "models", var model, "load"] => OfModel(OipOperation.RepositoryModelLoad, model, null, path),
        ["", "v2", "repository", "models", var model, "unload"] => OfModel(OipOperation.RepositoryModelUnload, model, null, path),
        _ => UnknownPath(path),
    };

    private static OipOperation? ModelAction(string action) => action switch
    {
        "ready" => OipOperation.ModelReady,
        "infer" => OipOperation.ModelInfer,
        "stats" => OipOperation.ModelStatistics,
        _ => null,
    };

    private static OipParse OfModel(OipOperation? operation, string model, string? version, string path) =>
        operation is not { } known ? UnknownPath(path)
        : CheckNames(model, version) is { } refusal ? new OipParse(null, refusal)
        : new OipParse(new OipTarget(known, IsGrpc: false, model, version), null);

    private static OipParse ParseGrpcMethod(string path)
    {
        OipOperation? operation = path.StartsWith(GrpcService, StringComparison.Ordinal) ? path[GrpcService.Length..] switch
        {
            "ServerLive" => OipOperation.ServerLive,
            "ServerReady" => OipOperation.ServerReady,
            "ServerMetadata" => OipOperation.ServerMetadata,
            "ModelReady" => OipOperation.ModelReady,
            "ModelMetadata" => OipOperation.ModelMetadata,
            "ModelInfer" => OipOperation.ModelInfer,
            _ => null,
        } : null;

        // UNIMPLEMENTED, what a gRPC server answers for a method it does not have.
        return operation is { } known
            ? new OipParse(new OipTarget(known, IsGrpc: true), null)
            : new OipParse(null, new Refusal(StatusCodes.Status501NotImplemented, $"unknown gRPC method {Refusal.Quote(path)}"));
    }

    private static OipParse Found(OipOperation operation) => new(new OipTarget(operation, IsGrpc: false), null);

    private static OipParse UnknownPath(string path) =>
        new(null, new Refusal(StatusCodes.Status404NotFound, $"unknown path {Refusal.Quote(path)}"));
}
