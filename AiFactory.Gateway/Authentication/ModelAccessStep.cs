using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// Refuses, with 403 (gRPC: PERMISSION_DENIED), a key's request for a model outside the key's allow-list, whether
/// the model is named in the REST path or inside a gRPC message (read, for such keys only, by
/// <see cref="GrpcModelTarget"/>).
/// </summary>
public sealed class ModelAccessStep(IOptions<ModelAccessOptions> options) : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.GetApiKey() is { Models: not null } key && OipTarget.Of(context) is { NamesModel: true } target)
        {
            if (target.IsGrpc)
            {
                var parse = await GrpcModelTarget.ReadAsync(context, target, options.Value.MaxGrpcMessageBytes, GrpcModelTarget.ToCheckTheAllowList);
                if (parse.Refusal is { } refusal)
                {
                    await refusal.WriteAsync(context);
                    return;
                }

                target = parse.Target!;
            }

            if (!key.AllowsModel(target.Model!))
            {
                await GatewayErrors.WriteAsync(context, StatusCodes.Status403Forbidden, $"the API key may not use model '{target.Model}'");
                return;
            }
        }

        await next();
    }
}
