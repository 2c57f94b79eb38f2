namespace AiFactory.Gateway.Routing;

/// <summary>The model and version an OIP path addresses: <c>/v2/models/{model}[/versions/{version}][/.../{action}]</c>.</summary>
public sealed record ModelPath(string Model, string? Version, string? Action)
{
    private static readonly object ItemKey = new();

    /// <summary>
    /// The request's model path, or null for paths that name no model. Parsed once per request: metering, the
    /// allow-list and the cache all ask.
    /// </summary>
    public static ModelPath? Of(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var parsed))
        {
            return (ModelPath?)parsed;
        }

        var path = Parse(context.Request.Path);
        context.Items[ItemKey] = path;
        return path;
    }

    /// <summary>Records what the request now addresses (the traffic split named the version), for the steps after.</summary>
    public static void Replace(HttpContext context, ModelPath path) => context.Items[ItemKey] = path;

    /// <summary>True for <c>POST /v2/models/{m}[/versions/{v}]/infer</c>.</summary>
    public bool IsInfer(HttpRequest request) => Action == "infer" && HttpMethods.IsPost(request.Method);

    private static ModelPath? Parse(PathString path)
    {
        var segments = (path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is not ["v2", "models", var name, .. var rest] || name.Length == 0)
        {
            return null;
        }

        string? version = null;
        if (rest is ["versions", var v, .. var tail])
        {
            version = Uri.UnescapeDataString(v);
            rest = tail;
        }

        return new ModelPath(Uri.UnescapeDataString(name), version, rest.Length > 0 ? rest[^1] : null);
    }
}
