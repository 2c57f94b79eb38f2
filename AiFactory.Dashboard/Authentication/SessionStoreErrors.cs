using StackExchange.Redis;

namespace AiFactory.Dashboard.Authentication;

/// <summary>
/// The sessions live in Redis (<see cref="RedisTicketStore"/>): while it does not answer, no session can be read or
/// written, and the operator is told so with a 503 rather than a bare 500.
/// </summary>
public static class SessionStoreErrors
{
    public const string Message = "the session store is unavailable (Redis does not answer): the console cannot sign you in or read your session until it is back";

    /// <summary>True for what the Redis client throws when the server is down or does not answer in time.</summary>
    public static bool IsUnavailable(Exception e) => e is RedisException or RedisTimeoutException;

    /// <summary>Answers 503 with <see cref="Message"/> for a request whose session could not be read or written.</summary>
    public static IApplicationBuilder UseSessionStoreErrors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (IsUnavailable(e) && !context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            await context.Response.WriteAsync("503: " + Message + ".", context.RequestAborted);
        }
    });
}
