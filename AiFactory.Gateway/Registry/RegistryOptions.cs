using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Registry;

/// <summary>The model registry's settings (section <c>Registry</c>).</summary>
public sealed class RegistryOptions
{
    public const string SectionName = "Registry";

    /// <summary>
    /// A model folder (<c>&lt;model&gt;/config.json</c>, <c>&lt;model&gt;/&lt;version&gt;/model.onnx</c>) whose models are
    /// imported at start when the registry has no version of them yet; unset: nothing is imported.
    /// </summary>
    public string? SeedPath { get; set; }

    /// <summary>Largest model an upload may carry (default 4 GiB), counted on the bytes received; more is 413.</summary>
    [Range(1, long.MaxValue, ErrorMessage = "Registry:MaxUploadBytes must be at least 1")]
    public long MaxUploadBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>
    /// Largest labelled set an upload may carry (default 64 MiB of JSON), counted on the bytes received; more is 413.
    /// The gateway reads it whole to check it: this, and the reader's 16 Mi values of 8 bytes, bound its memory per upload.
    /// At most the 64 MiB inference's validation reads (<c>LabelledSetLimits.MaxBytes</c>), so every set accepted is scored.
    /// </summary>
    [Range(1, 64 * 1024 * 1024, ErrorMessage = "Registry:MaxLabelledSetBytes must be between 1 and 67108864")]
    public int MaxLabelledSetBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>How often a gateway looks for versions waiting for validation (an upload to this gateway wakes it at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:10:00", ErrorMessage = "Registry:ValidationPollInterval must be between 0.1 s and 10 min")]
    public TimeSpan ValidationPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim on a version's validation lasts without renewal; a gateway that dies lets it go after this.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "Registry:ValidationLease must be between 5 s and 1 h")]
    public TimeSpan ValidationLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest one validation may take on an inference replica (download, load, runs and profile).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "06:00:00", ErrorMessage = "Registry:ValidationTimeout must be between 10 s and 6 h")]
    public TimeSpan ValidationTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Longest wait before retrying a validation that no inference replica could take (the wait doubles from 1 s up to this).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Registry:ValidationMaxRetryDelay must be between 1 s and 1 h")]
    public TimeSpan ValidationMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest one transform may take on an inference replica (download, rewrite, calibration runs, the new model's bytes back).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "06:00:00", ErrorMessage = "Registry:OptimizationTimeout must be between 10 s and 6 h")]
    public TimeSpan OptimizationTimeout { get; set; } = TimeSpan.FromMinutes(30);
}
