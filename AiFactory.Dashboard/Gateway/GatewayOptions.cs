using System.ComponentModel.DataAnnotations;

namespace AiFactory.Dashboard.Gateway;

/// <summary>Where the dashboard finds the gateway; a service name resolves through service discovery.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    [Required]
    public Uri BaseAddress { get; set; } = new("http://gateway");

    /// <summary>
    /// The key the dashboard presents: one with the <c>read</c> scope only (the AppHost's secret parameter
    /// <c>dashboard-api-key</c>, which the gateway accepts as <c>Gateway:ApiKeys:DashboardKey</c>), never an admin key.
    /// </summary>
    [Required]
    public string ApiKey { get; set; } = "";
}
