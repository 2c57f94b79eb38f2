using AiFactory.Inference.Runtime;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Repository;

/// <summary>
/// Discovers the models on disk at start and loads them. A model that fails to load is <c>UNAVAILABLE</c>
/// with its reason and never stops the others.
/// </summary>
public sealed class ModelRepositoryLoader(
    ModelRepository repository,
    SessionFactory sessions,
    IOptions<ModelRepositoryOptions> options,
    IHostEnvironment environment,
    ILogger<ModelRepositoryLoader> logger) : BackgroundService
{
    public const string ModelFileName = "model.onnx";

    /// <summary>The repository folder as an absolute path.</summary>
    public string RootPath => Path.GetFullPath(options.Value.Path, environment.ContentRootPath);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        if (!Directory.Exists(RootPath))
        {
            logger.LogWarning("Model repository {Path} does not exist; serving no models", RootPath);
        }
        else
        {
            foreach (var modelDirectory in Directory.EnumerateDirectories(RootPath).Order(StringComparer.Ordinal))
            {
                stoppingToken.ThrowIfCancellationRequested();
                LoadModel(modelDirectory);
            }
        }

        repository.MarkInitialLoadDone();
    }, stoppingToken);

    private void LoadModel(string modelDirectory)
    {
        var name = Path.GetFileName(modelDirectory);
        var version = LatestVersion(modelDirectory);
        if (version is null)
        {
            logger.LogWarning("Model {Model} has no version folder with a {File}; skipped", name, ModelFileName);
            return;
        }

        repository.Set(ModelVersionEntry.Loading(name, version));
        try
        {
            var config = ModelConfig.Load(Path.Combine(modelDirectory, ModelConfig.FileName));
            var (session, provider) = sessions.Create(Path.Combine(modelDirectory, version, ModelFileName), config.Provider);
            repository.Set(ModelVersionEntry.Ready(new LoadedModel(name, version, session, provider)));
            logger.LogInformation("Model {Model} version {Version} is ready on {Provider}", name, version, provider);
        }
        catch (Exception e)
        {
            // Any failure here (bad config, corrupt file, provider missing) belongs to this model alone.
            repository.Set(ModelVersionEntry.Unavailable(name, version, e.Message));
            logger.LogError(e, "Model {Model} version {Version} is unavailable", name, version);
        }
    }

    /// <summary>Versions are positive integers; the default policy serves the newest one.</summary>
    private static string? LatestVersion(string modelDirectory) =>
        Directory.EnumerateDirectories(modelDirectory)
            .Select(Path.GetFileName)
            .Where(folder => long.TryParse(folder, out var number) && number > 0
                             && File.Exists(Path.Combine(modelDirectory, folder!, ModelFileName)))
            .OrderByDescending(folder => long.Parse(folder!))
            .FirstOrDefault();
}
