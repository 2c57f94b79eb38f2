using AiFactory.Gateway.Database;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;
using AiFactory.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// Imports the models of <see cref="RegistryOptions.SeedPath"/> at start, so the registry holds the sample models
/// from the first F5: a model folder whose model has no version in the registry yet has each
/// <c>&lt;version&gt;/model.onnx</c> uploaded (keeping its version number) with the folder's <c>config.json</c>, by
/// <c>system</c>; once its versions are validated, a first policy puts 100 % on the highest ready one (audited as
/// <c>model.seed</c>). Safe to run again and on several gateways at once: a model with versions is not imported
/// again, an upload another gateway made first is a conflict that is skipped, and the policy is set only where none is.
/// </summary>
public sealed partial class RegistrySeeder(
    UploadService uploads, RegistryStore registry, SchemaMigrationService schema, IOptions<RegistryOptions> options, ILogger<RegistrySeeder> logger)
    : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>A model folder to import: its name, its config.json (compact JSON) and its version files in ascending order.</summary>
    public sealed record SeedModel(string Name, string Config, IReadOnlyList<(int Version, string File)> Versions);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.SeedPath is not { Length: > 0 } path)
        {
            return;
        }

        var models = Discover(path);
        while (true)
        {
            try
            {
                if (schema.IsMigrated && await SeedAsync(models, stoppingToken))
                {
                    return;
                }
            }
            catch (Exception e) when ((e is NpgsqlException or TimeoutException or StorageUnavailableException
                                           || e is RequestRefusedException { Status: StatusCodes.Status503ServiceUnavailable }) && !stoppingToken.IsCancellationRequested)
            {
                LogWaiting(e.Message);
            }

            await Task.Delay(RetryDelay, stoppingToken);
        }
    }

    /// <summary>One pass over the models; true once each has its versions decided and, if it was imported, its policy.</summary>
    public async Task<bool> SeedAsync(IReadOnlyList<SeedModel> models, CancellationToken cancellationToken)
    {
        var done = true;
        foreach (var model in models)
        {
            var record = await registry.FindModelAsync(model.Name, cancellationToken);
            if (record is not { Versions.Count: > 0 })
            {
                await ImportAsync(model, cancellationToken);
                record = await registry.FindModelAsync(model.Name, cancellationToken);
            }

            // An operator's model (uploaded before the seed ran), or one with its policy already, is left alone.
            if (record is null || record.Policy is not null || record.CreatedBy != AuditLog.SystemKeyId)
            {
                continue;
            }

            if (record.Versions.Any(version => version.State == VersionStates.Validating))
            {
                done = false;
                continue;
            }

            if (record.Versions.Where(version => version.State == VersionStates.Ready).MaxBy(version => version.Version) is not { } highest)
            {
                LogNothingReady(model.Name);
                continue;
            }

            if (await registry.SeedPolicyAsync(model.Name, highest.Version, cancellationToken) is not null)
            {
                LogSeeded(model.Name, highest.Version);
            }
        }

        return done;
    }

    private async Task ImportAsync(SeedModel model, CancellationToken cancellationToken)
    {
        foreach (var (version, file) in model.Versions)
        {
            try
            {
                await using var content = File.OpenRead(file);
                var staged = await uploads.StageAsync(content, cancellationToken);
                await uploads.AddAsync(staged, model.Name, model.Config, AuditLog.SystemKeyId, cancellationToken, version);
                LogImported(model.Name, version, file);
            }
            catch (RequestRefusedException e) when (e.Status != StatusCodes.Status503ServiceUnavailable)
            {
                // 409: another gateway imported it first; 413 or 400: the file cannot be a version.
                LogSkipped(model.Name, version, e.Message);
            }
        }
    }

    /// <summary>The model folders under <paramref name="path"/>: valid names, each with at least one <c>&lt;version&gt;/model.onnx</c>.</summary>
    public IReadOnlyList<SeedModel> Discover(string path)
    {
        if (!Directory.Exists(path))
        {
            LogNoFolder(path);
            return [];
        }

        var models = new List<SeedModel>();
        foreach (var directory in Directory.EnumerateDirectories(path).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(directory);
            var versions = Directory.EnumerateDirectories(directory)
                .Select(version => (Name: Path.GetFileName(version), File: Path.Combine(version, "model.onnx")))
                .Where(version => ModelName.IsValidVersion(version.Name) && version.Name.Length < 10 && File.Exists(version.File))
                .Select(version => (int.Parse(version.Name), version.File))
                .OrderBy(version => version.Item1)
                .ToList();
            if (!ModelName.IsValid(name) || versions.Count == 0)
            {
                continue;
            }

            try
            {
                var configFile = Path.Combine(directory, "config.json");
                models.Add(new SeedModel(name, ModelConfigDocument.Parse(File.Exists(configFile) ? File.ReadAllText(configFile) : null), versions));
            }
            catch (RequestRefusedException e)
            {
                LogSkipped(name, versions[0].Item1, e.Message);
            }
        }

        return models;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed: imported model {Model} version {Version} from {File}")]
    private partial void LogImported(string model, int version, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed: model {Model} serves version {Version} (100 %)")]
    private partial void LogSeeded(string model, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seed: model {Model} version {Version} was not imported: {Reason}")]
    private partial void LogSkipped(string model, int version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seed: no version of model {Model} passed validation; it gets no traffic policy")]
    private partial void LogNothingReady(string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seed: the folder {Path} does not exist; nothing is imported")]
    private partial void LogNoFolder(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seed: waiting for PostgreSQL and the object store ({Reason})")]
    private partial void LogWaiting(string reason);
}
