namespace AiFactory.Gateway.Routing;

/// <summary>
/// Answers, with the parser's status and message, a request whose path or gRPC method is none of the protocol's
/// (<see cref="OipParser"/>), so that no later step and no replica sees it.
/// </summary>
public sealed class OipTargetCheck : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (OipTarget.RefusalOf(context) is { } refusal)
        {
            await refusal.WriteAsync(context);
            return;
        }

        await next();
    }
}
