using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Overview;

/// <summary>The overview the operators' console charts: how often a sample is taken and how much history is kept.</summary>
public sealed class OverviewOptions
{
    public const string SectionName = "Gateway:Overview";

    /// <summary>One sample per interval: the gateway's traffic in it, and each inference replica's status at its end.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How far back the samples go; older ones are dropped (the ring holds Window / SampleInterval samples).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long one replica may take to answer its status before it is shown as unreachable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public int Capacity => (int)Math.Ceiling(Window / SampleInterval);
}
