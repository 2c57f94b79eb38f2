using Microsoft.Extensions.Configuration;

namespace AiFactory.AppHost.Infrastructure;

public static class RegistrySeedExtensions
{
    /// <summary>The AppHost setting that names the seed folder (default: the repository's <c>models/</c>).</summary>
    public const string SeedPathKey = "Registry:SeedPath";

    /// <summary>
    /// Locally, the gateway imports the models of the repository's <c>models/</c> folder (the samples
    /// <c>scripts/fetch-models.sh</c> lays out) into the registry at first start, so the registry is the source of
    /// truth from the first F5. Not in a cluster: there models arrive through the admin API, and the published
    /// manifest carries no path of this machine.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRegistrySeed(this IResourceBuilder<ProjectResource> gateway)
    {
        var builder = gateway.ApplicationBuilder;
        if (builder.ExecutionContext.IsPublishMode)
        {
            return gateway;
        }

        var path = builder.Configuration[SeedPathKey] ?? Path.Combine(InfrastructureExtensions.RepositoryRoot(builder), "models");
        return gateway.WithEnvironment("Registry__SeedPath", Path.GetFullPath(path));
    }

    /// <summary>
    /// Locally, the console's Try it (<c>TryIt:RecognitionDictionary</c>) and the replicas' validation and optimization
    /// (<c>Ocr:RecognitionDictionary</c>) read the recognizer's
    /// dictionary from the seed folder: Try it turns the recognizer's scores into text, validation and the int8-static
    /// calibration draw the OCR evaluation set's characters from it. Not in a cluster (no path of this machine): there the
    /// console's overlay mounts it from the optional ConfigMap ocr-dictionary (manifests/overlays/common/dashboard.yaml).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRecognitionDictionary(this IResourceBuilder<ProjectResource> project, string settingKey)
    {
        var builder = project.ApplicationBuilder;
        if (builder.ExecutionContext.IsPublishMode)
        {
            return project;
        }

        var path = builder.Configuration[SeedPathKey] ?? Path.Combine(InfrastructureExtensions.RepositoryRoot(builder), "models");
        return project.WithEnvironment(settingKey.Replace(":", "__"), Path.GetFullPath(Path.Combine(path, "text-recognition", "ppocr_keys_v1.txt")));
    }
}
