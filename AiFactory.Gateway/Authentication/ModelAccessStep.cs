using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// Refuses, with 403 (gRPC: PERMISSION_DENIED), a key's request for a model outside the key's allow-list, whether
/// the model is named in the REST path or inside a gRPC message.
/// </summary>
public sealed class ModelAccessStep : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.GetApiKey() is { Models: not null } key && await ModelOfAsync(context) is var (found, model) && found)
        {
            if (model is null)
            {
                await GatewayErrors.WriteAsync(context, StatusCodes.Status400BadRequest,
                    "the gRPC message could not be read to check the API key's model allow-list (compressed or malformed)");
                return;
            }

            if (!key.AllowsModel(model))
            {
                await GatewayErrors.WriteAsync(context, StatusCodes.Status403Forbidden, $"the API key may not use model '{model}'");
                return;
            }
        }

        await next();
    }

    /// <summary>Whether the request addresses a model, and which (null: a gRPC message that could not be read).</summary>
    private static async Task<(bool Found, string? Model)> ModelOfAsync(HttpContext context)
    {
        if (ModelPath.Of(context) is { } path)
        {
            return (true, path.Model);
        }

        return GrpcModelName.AddressesModel(context.Request)
            ? (true, await GrpcModelName.ReadAsync(context.Request, context.RequestAborted))
            : (false, null);
    }
}
