using System.ComponentModel.DataAnnotations;

namespace AiFactory.Dashboard.Gateway;

/// <summary>Where the console finds the gateway; a service name resolves through service discovery.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    [Required]
    public Uri BaseAddress { get; set; } = new("http://gateway");

    /// <summary>How long one admin API call may take before the page says the gateway did not answer.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a model upload through the console may take, from its first byte to the gateway's answer.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The largest model the console passes on to the gateway; keep it at the gateway's <c>Registry:MaxUploadBytes</c>
    /// (4 GiB by default), which refuses anything larger anyway. Only the upload route lifts the console's body limit.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 4L * 1024 * 1024 * 1024;
}
