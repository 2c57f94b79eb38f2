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
}
