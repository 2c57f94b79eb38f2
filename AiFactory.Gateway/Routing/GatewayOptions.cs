using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Routing;

/// <summary>Limits the gateway enforces before anything reaches an inference replica.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Largest request body (default 256 MiB, the inference service's own limit); larger ones get 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 256L * 1024 * 1024;
}
