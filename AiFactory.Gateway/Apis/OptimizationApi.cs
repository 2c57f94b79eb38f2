using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Registry;
using AiFactory.Optimization.Transforms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Gateway.Apis;

/// <summary><c>POST /api/admin/models/{model}/versions/{version}/optimize</c>: a new version made from a ready one (admin scope).</summary>
public static class OptimizationApi
{
    public static IEndpointRouteBuilder MapOptimizationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup(ModelsApi.Prefix).WithTags("Models");
        api.MapPost("/{model}/versions/{version}/optimize", OptimizeAsync).WithName("OptimizeModelVersion")
            .WithSummary("Make a new version from a ready one with a transform (graph, fp16, int8-dynamic, int8-static) or the tensorrt serving "
                         + "configuration; it starts validating, with no traffic, its lineage naming the parent and the transform")
            .WithDescription("Body: {\"transform\": \"graph\", \"level\": \"basic|extended|all\"} | {\"transform\": \"fp16\", \"keep_fp32\": [\"Op\", ...]} | "
                             + "{\"transform\": \"int8-dynamic\"} | {\"transform\": \"int8-static\", \"calibration\": \"minmax|percentile\", \"percentile\": 99.99} | "
                             + $"{{\"transform\": \"tensorrt\", \"precision\": \"fp16|int8\"}}. At most {TransformRequest.MaxBodyBytes} bytes.")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound)
            .Produces<ErrorBody>(StatusCodes.Status409Conflict).Produces<ErrorBody>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorBody>(StatusCodes.Status422UnprocessableEntity).Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Created<VersionView>, EmptyHttpResult>> OptimizeAsync(string model, string version, HttpContext context,
        VersionOptimizer optimizer)
    {
        var name = RegistryNames.Model(model);
        var number = RegistryNames.Version(version);
        var cancellationToken = context.RequestAborted;
        if (await ReadAsync(context, cancellationToken) is not { } request)
        {
            return TypedResults.Empty;
        }

        var added = await optimizer.OptimizeAsync(name, number, request, context.GetApiKey()!.Id, cancellationToken);
        return TypedResults.Created($"{ModelsApi.Prefix}/{name}/versions/{added.Version}", VersionView.Of(added));
    }

    /// <summary>The body, at most <see cref="TransformRequest.MaxBodyBytes"/> counted as they arrive, parsed once; null when refused as too large.</summary>
    private static async Task<TransformRequest?> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var buffer = new byte[TransformRequest.MaxBodyBytes + 1];
        var length = 0;
        while (length < buffer.Length && await context.Request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken) is var read and > 0)
        {
            length += read;
        }

        if (length > TransformRequest.MaxBodyBytes)
        {
            // The rest is not read: the connection closes after the answer, as an oversized upload's does.
            await ModelsApi.RefuseUnreadBodyAsync(context,
                RequestRefusedException.TooLarge($"the request body is larger than {TransformRequest.MaxBodyBytes} bytes: send the transform's name and options"));
            return null;
        }

        try
        {
            return TransformRequest.Parse(buffer.AsSpan(0, length));
        }
        catch (FormatException e)
        {
            throw RequestRefusedException.BadRequest(e.Message);
        }
    }
}
