using System.ComponentModel.DataAnnotations;

namespace AiFactory.Inference.Repository;

/// <summary>Where the model repository lives (<c>models/&lt;model&gt;/&lt;version&gt;/model.onnx</c>).</summary>
public sealed class ModelRepositoryOptions
{
    public const string SectionName = "ModelRepository";

    /// <summary>Folder of the repository; a relative path is resolved against the content root.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Path { get; set; } = "models";
}
