using System.ComponentModel.DataAnnotations;

namespace AiFactory.Dashboard.Cost;

/// <summary>What a node costs per hour (<c>Console:Cost</c>), for the cost per 1,000 inferences on the usage page.</summary>
public sealed class CostOptions
{
    public const string SectionName = "Console:Cost";

    /// <summary>Price of one CPU node for an hour, in <see cref="Currency"/>.</summary>
    [Range(0, 1_000_000)]
    public decimal CpuNodeHourPrice { get; set; } = 0.40m;

    /// <summary>Price of one GPU node for an hour, in <see cref="Currency"/>.</summary>
    [Range(0, 1_000_000)]
    public decimal GpuNodeHourPrice { get; set; } = 3.00m;

    [Required]
    public string Currency { get; set; } = "USD";
}
