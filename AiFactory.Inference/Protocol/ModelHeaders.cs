namespace AiFactory.Inference.Protocol;

/// <summary>
/// Headers on every inference answer, REST and gRPC alike, naming the model and version that answered: the gateway
/// meters and caches by version without parsing bodies (for gRPC calls it would otherwise have to parse the message).
/// </summary>
public static class ModelHeaders
{
    public const string Name = "x-aifactory-model";
    public const string Version = "x-aifactory-model-version";
}
