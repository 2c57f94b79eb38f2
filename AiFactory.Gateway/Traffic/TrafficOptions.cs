using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Traffic;

/// <summary>How the gateway follows the registry's traffic policies and the replicas' model states (section <c>Registry</c>).</summary>
public sealed class TrafficOptions
{
    public const string SectionName = "Registry";

    /// <summary>How often every replica's <c>POST /v2/repository/index</c> is read (the observed state).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ObserveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one replica may take to answer; a replica that does not is left out of the observed state.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ObserveTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the policies are read even without a change notification (the fallback).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
