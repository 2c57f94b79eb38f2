using AiFactory.Inference.Protocol;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Repository;

/// <summary>
/// Keeps the repository in step with the folder: loads what the version policies select at start, then polls for
/// added, replaced and removed versions, and serves the <c>model_repository</c> extension's explicit load and
/// unload. A new version is loaded and warmed before the one it replaces is retired; retired versions finish the
/// requests they hold. A model that fails to load is <c>UNAVAILABLE</c> with its reason and never stops the others.
/// </summary>
public sealed class ModelRepositoryLoader(
    ModelRepository repository,
    SessionFactory sessions,
    InferenceMetrics metrics,
    IOptions<ModelRepositoryOptions> options,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<ModelRepositoryLoader> logger) : BackgroundService, IModelControl
{
    public const string ModelFileName = "model.onnx";
    public const string UnloadedReason = "unloaded";

    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly Dictionary<(string Name, string Version), string> _stamps = [];
    private readonly HashSet<string> _unloaded = new(StringComparer.Ordinal);

    /// <summary>The repository folder as an absolute path.</summary>
    public string RootPath => Path.GetFullPath(options.Value.Path, environment.ContentRootPath);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Run(() => SyncAllAsync(stoppingToken), stoppingToken);
        repository.MarkInitialLoadDone();

        if (options.Value.PollIntervalSeconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.PollIntervalSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await SyncAllAsync(stoppingToken);
        }
    }

    /// <summary>
    /// Loads (or reloads) a model now, even one unloaded before. Throws NotFound for a model not in the folder and
    /// InvalidArgument for one that does not load.
    /// </summary>
    public async Task LoadAsync(string name, CancellationToken cancellationToken)
    {
        if (!IsModelName(name) || !Directory.Exists(Path.Combine(RootPath, name)))
        {
            throw InferenceError.NotFound($"model '{name}' is not in the repository");
        }

        await _sync.WaitAsync(cancellationToken);
        try
        {
            _unloaded.Remove(name);
            SyncModel(name);
            var entries = repository.EntriesOf(name);
            if (entries.Count == 0)
            {
                throw InferenceError.InvalidArgument($"model '{name}' has no version folder with a {ModelFileName}");
            }

            if (entries.FirstOrDefault(entry => !entry.IsReady) is { } failed)
            {
                throw InferenceError.InvalidArgument($"failed to load '{name}' version {failed.Version}: {failed.Reason}");
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    /// <summary>Unloads every version of a model; polling leaves it unloaded until it is loaded again. NotFound for an unknown model.</summary>
    public async Task UnloadAsync(string name, CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken);
        try
        {
            var entries = repository.EntriesOf(name);
            if (entries.Count == 0)
            {
                throw InferenceError.NotFound($"unknown model '{name}'");
            }

            _unloaded.Add(name);
            foreach (var entry in entries)
            {
                Retire(repository.Set(ModelVersionEntry.Unavailable(name, entry.Version, UnloadedReason)));
                _stamps.Remove((name, entry.Version));
            }

            logger.LogInformation("Model {Model} unloaded", name);
        }
        finally
        {
            _sync.Release();
        }
    }

    /// <summary>
    /// Loads and warms one version from <paramref name="path"/> with <paramref name="config"/> (registry mode: the
    /// reconciler decides which versions, and each version brings its own config). Returns the version's entry:
    /// ready, or unavailable with the reason.
    /// </summary>
    public async Task<ModelVersionEntry> LoadVersionAsync(string name, string version, string path, ModelConfig config, CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken);
        try
        {
            LoadVersion(name, version, path, config);
            return repository.Find(name, version).Entry!;
        }
        finally
        {
            _sync.Release();
        }
    }

    /// <summary>Forgets one version; it is freed once the requests it holds have finished.</summary>
    public async Task UnloadVersionAsync(string name, string version, CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken);
        try
        {
            RemoveVersions(name, [version]);
        }
        finally
        {
            _sync.Release();
        }
    }

    /// <summary>Reports a version that cannot be loaded (yet) as UNAVAILABLE with <paramref name="reason"/>, unless it serves.</summary>
    public async Task MarkUnavailableAsync(string name, string version, string reason, CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken);
        try
        {
            if (repository.Find(name, version).Entry is not { IsReady: true })
            {
                repository.Set(ModelVersionEntry.Unavailable(name, version, reason));
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task SyncAllAsync(CancellationToken cancellationToken)
    {
        await _sync.WaitAsync(cancellationToken);
        try
        {
            var onDisk = Directory.Exists(RootPath)
                ? Directory.EnumerateDirectories(RootPath).Select(Path.GetFileName).Where(IsModelName).Cast<string>().ToHashSet()
                : [];
            if (onDisk.Count == 0 && !repository.ModelNames.Any())
            {
                logger.LogWarning("Model repository {Path} holds no models", RootPath);
            }

            foreach (var name in onDisk.Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!_unloaded.Contains(name))
                {
                    SyncModel(name);
                }
            }

            foreach (var name in repository.ModelNames.Where(name => !onDisk.Contains(name)).ToList())
            {
                RemoveVersions(name, repository.EntriesOf(name).Select(entry => entry.Version));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Scanning the model repository {Path} failed", RootPath);
        }
        finally
        {
            _sync.Release();
        }
    }

    /// <summary>Brings one model in line with its folder and version policy. Callers hold <see cref="_sync"/>.</summary>
    private void SyncModel(string name)
    {
        var directory = Path.Combine(RootPath, name);
        var onDisk = Directory.EnumerateDirectories(directory)
            .Select(Path.GetFileName)
            .Where(folder => long.TryParse(folder, out var number) && number > 0 && folder == number.ToString()
                             && File.Exists(Path.Combine(directory, folder, ModelFileName)))
            .Select(folder => long.Parse(folder!))
            .ToList();

        ModelConfig config;
        try
        {
            config = ModelConfig.Load(Path.Combine(directory, ModelConfig.FileName));
        }
        catch (ModelConfigException e)
        {
            // Versions already serving keep serving a config that was broken later; new ones cannot load.
            foreach (var version in onDisk.Select(v => v.ToString()).Where(v => repository.Find(name, v).Entry is not { IsReady: true }))
            {
                repository.Set(ModelVersionEntry.Unavailable(name, version, e.Message));
            }

            logger.LogError("Model {Model}: {Error}", name, e.Message);
            return;
        }

        var wanted = (config.VersionPolicy ?? new VersionPolicyConfig { Latest = 1 }).Select(onDisk).Select(v => v.ToString()).ToHashSet();
        var configStamp = Stamp(Path.Combine(directory, ModelConfig.FileName));
        foreach (var version in wanted.OrderBy(long.Parse))
        {
            var stamp = Stamp(Path.Combine(directory, version, ModelFileName)) + configStamp;
            if (_stamps.TryGetValue((name, version), out var loaded) && loaded == stamp)
            {
                continue;
            }

            _stamps[(name, version)] = stamp;
            LoadVersion(name, version, Path.Combine(directory, version, ModelFileName), config);
        }

        var unwanted = repository.EntriesOf(name).Select(entry => entry.Version).Where(version => !wanted.Contains(version)).ToList();
        if (unwanted.Count > 0 && !wanted.Any(version => repository.Find(name, version).Entry is { IsReady: true })
            && unwanted.Any(version => repository.Find(name, version).Entry is { IsReady: true }))
        {
            // Nothing that should replace them can serve: keep the old versions serving until something can.
            logger.LogWarning("Model {Model}: no version the policy selects is ready; versions {Versions} keep serving", name, string.Join(", ", unwanted));
            return;
        }

        RemoveVersions(name, unwanted);
    }

    private void LoadVersion(string name, string version, string path, ModelConfig config)
    {
        var current = repository.Find(name, version).Entry;
        if (current is not { IsReady: true })
        {
            repository.Set(ModelVersionEntry.Loading(name, version));
        }

        try
        {
            var model = new LoadedModel(name, version, sessions.Open(path, config, name, version), config, metrics, logger, time);
            try
            {
                Warmup.Run(model);
            }
            catch
            {
                model.Retire();
                throw;
            }

            Retire(repository.Set(ModelVersionEntry.Ready(model)));
            logger.LogInformation("Model {Model} version {Version} is ready on {Provider}{Replaced}", name, version, model.Provider,
                current is { IsReady: true } ? " (replacing the previous file)" : "");
        }
        catch (Exception e)
        {
            if (current is { IsReady: true })
            {
                // A replacement that fails to load leaves the working version serving.
                logger.LogError(e, "Model {Model} version {Version} was replaced on disk by a file that does not load; the previous one keeps serving", name, version);
                return;
            }

            repository.Set(ModelVersionEntry.Unavailable(name, version, e.Message));
            logger.LogError(e, "Model {Model} version {Version} is unavailable", name, version);
        }
    }

    private void RemoveVersions(string name, IEnumerable<string> versions)
    {
        foreach (var version in versions.ToList())
        {
            Retire(repository.Remove(name, version));
            _stamps.Remove((name, version));
            logger.LogInformation("Model {Model} version {Version} removed", name, version);
        }
    }

    private static void Retire(ModelVersionEntry? entry) => entry?.Model?.Retire();

    private static string Stamp(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? $"{file.Length}@{file.LastWriteTimeUtc.Ticks};" : "-;";
    }

    /// <summary>Model names become URL segments and folder names: letters, digits, '-', '_' and '.'.</summary>
    public static bool IsModelName(string? name) =>
        !string.IsNullOrEmpty(name) && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
