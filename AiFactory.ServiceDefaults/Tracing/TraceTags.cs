namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The attributes gateway and inference put on a request's span, one spelling for both, so that a trace can be
/// found by model, version or the caller's API key id (never the key itself).
/// </summary>
public static class TraceTags
{
    public const string ModelName = "aifactory.model.name";
    public const string ModelVersion = "aifactory.model.version";
    public const string ApiKeyId = "aifactory.api_key.id";
}
