using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;

namespace AiFactory.Gateway.Authentication;

/// <summary>Refuses, with 403, a key's request for a model outside the key's allow-list.</summary>
public sealed class ModelAccessStep : IProxyStep
{
    public Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.GetApiKey() is { Models: not null } key
            && ModelPath.TryParse(context.Request.Path, out var model, out _, out _)
            && !key.AllowsModel(model))
        {
            return GatewayErrors.WriteAsync(context, StatusCodes.Status403Forbidden, $"the API key may not use model '{model}'");
        }

        return next();
    }
}
