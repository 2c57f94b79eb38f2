using System.ComponentModel.DataAnnotations;

namespace AiFactory.Inference.Registry;

/// <summary>
/// Registry mode: the replica loads what the model registry wants loaded (<see cref="RegistryReconciler"/>), pulled
/// from the object store into its model repository folder, instead of whatever the folder holds.
/// </summary>
public sealed class RegistryOptions
{
    public const string SectionName = "Registry";

    /// <summary>On: reconcile from the registry (<c>ConnectionStrings:aifactory</c>, <c>ConnectionStrings:storage</c>); off: serve the folder.</summary>
    public bool Enabled { get; set; }

    /// <summary>How often the desired state is read even without a change notification (the fallback).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one read of the desired state may take before the replica goes on with what it has.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan DatabaseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a version the registry no longer wants keeps serving before it is unloaded: gateways that have not
    /// seen the change yet (a missed notification waits for their poll) still find it. Requests it holds then finish.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan UnloadDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A download that failed is retried after 1 s, then twice as long each time, up to this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DownloadRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);
}
