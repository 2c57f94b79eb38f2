using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Analysis;

/// <summary>The model analyzer's settings (section <c>Analyzer</c>).</summary>
public sealed class AnalyzerOptions
{
    public const string SectionName = "Analyzer";

    /// <summary>
    /// How long the gateway waits for a replica's analysis: a sweep measures for at most 2 minutes, plus loading each
    /// configuration and downloading the model.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00", ErrorMessage = "Analyzer:Timeout must be between 10 s and 1 h")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);
}
