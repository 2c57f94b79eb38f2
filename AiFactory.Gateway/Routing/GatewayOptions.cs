using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Routing;

/// <summary>Limits the gateway enforces before anything reaches an inference replica.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Largest request body (default 256 MiB, the inference service's own limit); larger ones get 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Most request-body bytes every request together keeps in memory (default 256 MiB, a quarter of a gateway pod's
    /// 1 GiB limit): the response cache's copies and the retries' (see <see cref="RequestBufferBudget"/>).
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxBufferedBodyBytes { get; set; } = 256L * 1024 * 1024;
}
