namespace AiFactory.Gateway.Routing;

/// <summary>Reads the model and version an OIP path addresses: <c>/v2/models/{model}[/versions/{version}][/...]</c>.</summary>
public static class ModelPath
{
    public static bool TryParse(PathString path, out string model, out string? version, out string? action)
    {
        (model, version, action) = ("", null, null);
        var segments = (path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is not ["v2", "models", var name, .. var rest] || name.Length == 0)
        {
            return false;
        }

        model = Uri.UnescapeDataString(name);
        if (rest is ["versions", var v, .. var tail])
        {
            version = Uri.UnescapeDataString(v);
            rest = tail;
        }

        action = rest.Length > 0 ? rest[^1] : null;
        return true;
    }

    /// <summary>True for <c>POST /v2/models/{m}[/versions/{v}]/infer</c>.</summary>
    public static bool IsInfer(HttpRequest request, out string model, out string? version) =>
        TryParse(request.Path, out model, out version, out var action) && action == "infer" && HttpMethods.IsPost(request.Method);
}
