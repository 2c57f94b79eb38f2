using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Authentication;

/// <summary>Bounds on what the gateway holds in memory to enforce a key's model allow-list.</summary>
public sealed class ModelAccessOptions
{
    public const string SectionName = "Gateway:ModelAccess";

    /// <summary>
    /// Largest gRPC message read to learn the model and version a call names (default 16 MiB): for a key with an
    /// allow-list, and for the traffic split once any model has a traffic policy. It is held whole before it is
    /// forwarded; larger ones get RESOURCE_EXHAUSTED. Without either, calls stream at any size.
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
