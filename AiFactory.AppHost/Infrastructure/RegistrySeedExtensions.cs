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
    /// Locally, the console's Try it reads the recognizer's dictionary from the seed folder, to turn the recognizer's
    /// scores into text (<paramref name="setting"/>; a replica's, to render the OCR calibration set). Not in a cluster
    /// (no path of this machine): there the console's overlay mounts it from the optional ConfigMap ocr-dictionary
    /// (manifests/overlays/common/dashboard.yaml).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRecognitionDictionary(this IResourceBuilder<ProjectResource> console,
        string setting = "TryIt__RecognitionDictionary")
    {
        var builder = console.ApplicationBuilder;
        if (builder.ExecutionContext.IsPublishMode)
        {
            return console;
        }

        var path = builder.Configuration[SeedPathKey] ?? Path.Combine(InfrastructureExtensions.RepositoryRoot(builder), "models");
        return console.WithEnvironment(setting, Path.GetFullPath(Path.Combine(path, "text-recognition", "ppocr_keys_v1.txt")));
    }

    /// <summary>Locally, every replica renders the OCR calibration set (int8-static) from the seed folder's dictionary.</summary>
    public static InferenceReplicas WithRecognitionDictionary(this InferenceReplicas inference)
    {
        foreach (var replica in inference.Resources)
        {
            replica.WithRecognitionDictionary("Optimization__RecognitionDictionary");
        }

        return inference;
    }
}
