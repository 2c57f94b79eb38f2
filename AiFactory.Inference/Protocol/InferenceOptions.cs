using System.ComponentModel.DataAnnotations;

namespace AiFactory.Inference.Protocol;

/// <summary>Limits that keep one request from taking the process down.</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    /// <summary>Most elements one input tensor may hold (default 64 Mi, 256 MiB of FP32).</summary>
    [Range(1, long.MaxValue)]
    public long MaxElementsPerInput { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest request body, JSON or binary (default 256 MiB); larger ones get 413.</summary>
    [Range(1, int.MaxValue)]
    public int MaxRequestBodyBytes { get; set; } = 256 * 1024 * 1024;
}
