using System.ComponentModel.DataAnnotations;

namespace AiFactory.Inference.Repository;

/// <summary>Where the model repository lives (<c>models/&lt;model&gt;/&lt;version&gt;/model.onnx</c>) and how it is watched.</summary>
public sealed class ModelRepositoryOptions
{
    public const string SectionName = "ModelRepository";

    /// <summary>Folder of the repository; a relative path is resolved against the content root.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Path { get; set; } = "models";

    /// <summary>How often the folder is checked for added, replaced and removed versions; 0 turns polling off.</summary>
    [Range(0, 3600)]
    public double PollIntervalSeconds { get; set; } = 2;
}
