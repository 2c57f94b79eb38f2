namespace AiFactory.Gateway.Authentication;

/// <summary>The authenticated key travels with the request for the steps after authentication (limits, metering).</summary>
public static class ApiKeyHttpContextExtensions
{
    private static readonly object ItemKey = new();

    public static void SetApiKey(this HttpContext context, ApiKey key) => context.Items[ItemKey] = key;

    /// <summary>The request's key; null for anonymous requests (health endpoints).</summary>
    public static ApiKey? GetApiKey(this HttpContext context) => context.Items.TryGetValue(ItemKey, out var key) ? (ApiKey?)key : null;
}
