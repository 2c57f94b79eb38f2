using System.ComponentModel.DataAnnotations;

namespace AiFactory.Dashboard.Gateway;

/// <summary>Where the dashboard finds the gateway; a service name resolves through service discovery.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    [Required]
    public Uri BaseAddress { get; set; } = new("http://gateway");

    /// <summary>The key the dashboard presents: an admin key (the AppHost gives it the bootstrap admin key).</summary>
    [Required]
    public string ApiKey { get; set; } = "";
}
