using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Authentication;

/// <summary>Bounds on what the gateway holds in memory to enforce a key's model allow-list.</summary>
public sealed class ModelAccessOptions
{
    public const string SectionName = "Gateway:ModelAccess";

    /// <summary>
    /// Largest gRPC message read for a key with an allow-list (default 16 MiB): the model is named inside it, so it is
    /// held whole before it is forwarded. Larger ones get RESOURCE_EXHAUSTED; keys without an allow-list stream any size.
    /// </summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxGrpcMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Largest model list (repository index, statistics) held to filter it for a key with an allow-list (default
    /// 4 MiB); a larger one gets 502.
    /// </summary>
    [Range(256, 256 * 1024 * 1024)]
    public int MaxModelListBytes { get; set; } = 4 * 1024 * 1024;
}
