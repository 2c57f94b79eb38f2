using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Registry.Client;
using AiFactory.Storage;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Registry;

/// <summary>
/// Keeps this replica serving what the registry wants (registry mode): reads the desired state
/// (<see cref="DesiredStateReader"/>) whenever the registry notifies a change and every
/// <see cref="RegistryOptions.PollInterval"/>; downloads and verifies each desired version not loaded
/// (<see cref="ArtifactCache"/>), loads and warms it, then unloads the versions no longer desired, after
/// <see cref="RegistryOptions.UnloadDelay"/> (their leases let the requests they hold finish). The replica is ready once its first attempt finished, whatever its outcome.
/// </summary>
/// <remarks>
/// Nothing the registry or the store hands it takes the replica down: a database that does not answer leaves
/// everything as it is (and at start, the state recorded in <see cref="RegistryStateFile"/> is served from the
/// cache); a store that does not answer is retried with backoff while the loaded versions keep serving; a version that
/// does not load is UNAVAILABLE with its reason and is not tried again (versions are immutable).
/// </remarks>
public sealed partial class RegistryReconciler(
    ModelRepository repository,
    ModelRepositoryLoader loader,
    DesiredStateReader reader,
    ArtifactCache cache,
    RegistryChangeListener listener,
    RegistryMetrics metrics,
    IOptions<RegistryOptions> options,
    TimeProvider time,
    ILogger<RegistryReconciler> logger) : BackgroundService, IModelControl
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _wake = new(0, 1);
    // One pass at a time: the loop's, or an explicit load or unload.
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly HashSet<string> _heldUnloaded = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Model, string Version), string> _loaded = [];
    private readonly HashSet<(string Model, string Version, string Sha256)> _unloadable = [];
    private readonly Dictionary<(string Model, string Version), (DateTimeOffset Due, TimeSpan Delay)> _retries = [];
    private readonly Dictionary<(string Model, string Version), DateTimeOffset> _leaving = [];
    private IReadOnlyList<DesiredVersion>? _recorded;
    private bool _databaseAnswered;

    private RegistryStateFile StateFile => field ??= new RegistryStateFile(loader.RootPath, logger);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        _recorded = StateFile.Load();
        await ReconcileSafelyAsync(stoppingToken);
        repository.MarkInitialLoadDone();

        var listening = listener.RunAsync(connected: Wake, changed: _ => Wake(), stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _wake.WaitAsync(NextWait(), stoppingToken);
                await ReconcileSafelyAsync(stoppingToken);
            }
        }
        finally
        {
            await listening.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Asks for a reconciliation now (a change notification, a new listening connection).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // One is already pending: it will read the newest state.
        }
    }

    private async Task ReconcileSafelyAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken);
        try
        {
            await ReconcileAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong, the versions loaded keep serving and the next pass tries again.
            metrics.Synced("failed");
            LogPassFailed(logger, e);
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>
    /// The protocol's explicit unload (Triton's explicit model control over the registry's desired state): every
    /// version of the model is unloaded now, and stays so on this replica until it is loaded again. 404 for a model
    /// the replica does not serve.
    /// </summary>
    public async Task UnloadAsync(string name, CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken);
        try
        {
            // As in folder mode: the versions are retired (their requests finish) and listed as unloaded; a model the
            // replica does not serve is refused (InferenceError) before anything is held.
            await loader.UnloadAsync(name, cancellationToken);
            _heldUnloaded.Add(name);
            foreach (var key in _loaded.Keys.Concat(_leaving.Keys).Where(key => key.Model == name).ToList())
            {
                _loaded.Remove(key);
                _leaving.Remove(key);
            }

            LogHeldUnloaded(logger, name);
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>
    /// The protocol's explicit load: lifts an unload and reconciles at once, so the model's desired versions serve
    /// when it answers. 404 for a model the registry does not want served; 400 when a version of it cannot be.
    /// </summary>
    public async Task LoadAsync(string name, CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken);
        try
        {
            _heldUnloaded.Remove(name);
            await ReconcileAsync(cancellationToken);
            var entries = repository.EntriesOf(name);
            if (entries.Count == 0)
            {
                throw InferenceError.NotFound($"model '{name}' is not in the registry's traffic policies, so this replica does not serve it");
            }

            if (entries.FirstOrDefault(entry => !entry.IsReady) is { } failed)
            {
                throw InferenceError.InvalidArgument($"failed to load '{name}' version {failed.Version}: {failed.Reason}");
            }
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>One pass: read the desired state, load what is missing, unload what is no longer wanted.</summary>
    internal async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var desired = (await ReadDesiredAsync(cancellationToken))?.Where(version => !_heldUnloaded.Contains(version.Model)).ToList();
        if (desired is null)
        {
            return;
        }

        var complete = true;
        foreach (var version in desired)
        {
            complete &= await ServeAsync(version, cancellationToken);
        }

        var wanted = desired.Select(version => (version.Model, version.VersionText)).ToHashSet();
        await UnloadUnwantedAsync(wanted, cancellationToken);
        foreach (var key in _retries.Keys.Where(key => !wanted.Contains(key)).ToList())
        {
            _retries.Remove(key);
        }

        metrics.Synced(complete ? "ok" : "partial");
    }

    /// <summary>
    /// Unloads what is no longer wanted: a version that served after <see cref="RegistryOptions.UnloadDelay"/>, one
    /// that never did at once.
    /// </summary>
    private async Task UnloadUnwantedAsync(HashSet<(string Model, string Version)> wanted, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var key in _leaving.Keys.Where(wanted.Contains).ToList())
        {
            _leaving.Remove(key);
        }

        foreach (var entry in repository.Entries.Where(entry => !wanted.Contains((entry.Name, entry.Version)) && !_heldUnloaded.Contains(entry.Name)).ToList())
        {
            var key = (entry.Name, entry.Version);
            if (entry.IsReady && (now - _leaving.GetValueOrDefault(key, now)) < options.Value.UnloadDelay)
            {
                _leaving.TryAdd(key, now);
                continue;
            }

            await loader.UnloadVersionAsync(entry.Name, entry.Version, cancellationToken);
            _loaded.Remove(key);
            _leaving.Remove(key);
            ArtifactCache.Evict(loader.RootPath, entry.Name, entry.Version);
            LogUnloaded(logger, entry.Name, entry.Version);
        }
    }

    /// <summary>
    /// The desired state from PostgreSQL, recorded for the next start; while it has never answered, the recorded one,
    /// served from what the cache holds. Null when there is nothing to go by (everything stays as it is).
    /// </summary>
    private async Task<IReadOnlyList<DesiredVersion>?> ReadDesiredAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.DatabaseTimeout);
        IReadOnlyList<DesiredVersion> desired;
        try
        {
            desired = await reader.ReadAsync(deadline.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
                                  && e is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException or IOException or InvalidOperationException)
        {
            metrics.Synced("database_unavailable");
            if (_databaseAnswered || _recorded is null)
            {
                LogDatabaseUnavailable(logger, repository.Entries.Count(entry => entry.IsReady), e);
                return null;
            }

            LogServingRecorded(logger, StateFile.Path, _recorded.Count, e);
            return [.. _recorded.Where(version => IsValid(version) && ArtifactCache.Holds(loader.RootPath, version))];
        }

        _databaseAnswered = true;
        var valid = desired.Where(IsValid).ToList();
        if (_recorded is null || !_recorded.SequenceEqual(valid))
        {
            try
            {
                StateFile.Save(valid);
                _recorded = valid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogStateNotRecorded(logger, StateFile.Path, e);
            }
        }

        return valid;
    }

    /// <summary>Makes one desired version serve; false while it cannot yet (it is retried, or will never load).</summary>
    private async Task<bool> ServeAsync(DesiredVersion version, CancellationToken cancellationToken)
    {
        var key = (version.Model, version.VersionText);
        if (_loaded.TryGetValue(key, out var sha256) && sha256 == version.Sha256 && repository.Find(version.Model, version.VersionText).Entry is { IsReady: true })
        {
            return true;
        }

        if (_unloadable.Contains((version.Model, version.VersionText, version.Sha256))
            || (_retries.TryGetValue(key, out var retry) && retry.Due > time.GetUtcNow()))
        {
            return false;
        }

        string path;
        try
        {
            path = await cache.EnsureAsync(loader.RootPath, version, cancellationToken);
            _retries.Remove(key);
        }
        catch (Exception e) when (e is StorageUnavailableException or ObjectNotFoundException or ArtifactIntegrityException or IOException or UnauthorizedAccessException)
        {
            var delay = _retries.TryGetValue(key, out var previous)
                ? TimeSpan.FromTicks(Math.Min(previous.Delay.Ticks * 2, options.Value.DownloadRetryMaxDelay.Ticks))
                : FirstRetryDelay;
            _retries[key] = (time.GetUtcNow() + delay, delay);
            await loader.MarkUnavailableAsync(version.Model, version.VersionText, $"the artifact cannot be fetched yet (retrying in {delay.TotalSeconds:0} s): {e.Message}", cancellationToken);
            LogDownloadFailed(logger, version.Model, version.Version, delay.TotalSeconds, e.Message);
            return false;
        }

        ModelConfig config;
        try
        {
            config = ModelConfig.Load(Path.Combine(Path.GetDirectoryName(path)!, ModelConfig.FileName));
        }
        catch (ModelConfigException e)
        {
            return await RefuseAsync(version, "config", e.Message, cancellationToken);
        }

        var entry = await loader.LoadVersionAsync(version.Model, version.VersionText, path, config, cancellationToken);
        if (!entry.IsReady)
        {
            return await RefuseAsync(version, "load", entry.Reason, cancellationToken);
        }

        _loaded[key] = version.Sha256;
        return true;
    }

    private async Task<bool> RefuseAsync(DesiredVersion version, string reason, string message, CancellationToken cancellationToken)
    {
        _unloadable.Add((version.Model, version.VersionText, version.Sha256));
        metrics.Rejected(reason);
        await loader.MarkUnavailableAsync(version.Model, version.VersionText, message, cancellationToken);
        LogRefused(logger, version.Model, version.Version, message);
        return false;
    }

    /// <summary>An entry the replica can act on safely: a name that is a folder name, a content address, a size.</summary>
    private bool IsValid(DesiredVersion version)
    {
        if (ModelRepositoryLoader.IsModelName(version.Model) && version.Model.Length <= 128 && version.Version > 0
            && ArtifactKeys.IsSha256(version.Sha256) && version.SizeBytes > 0 && version.StorageKey.Length > 0)
        {
            return true;
        }

        metrics.Rejected("invalid_entry");
        LogInvalidEntry(logger, version.Model, version.Version);
        return false;
    }

    /// <summary>Until the next poll, or sooner when a download is due to be retried or a version to be unloaded.</summary>
    private TimeSpan NextWait()
    {
        var now = time.GetUtcNow();
        var due = _retries.Values.Select(retry => retry.Due).Concat(_leaving.Values.Select(since => since + options.Value.UnloadDelay));
        return TimeSpan.FromTicks(due.Aggregate(options.Value.PollInterval.Ticks, (wait, at) => Math.Max(0, Math.Min(wait, (at - now).Ticks))));
    }

    [LoggerMessage(LogLevel.Error, "Reconciling with the registry failed; the loaded versions keep serving and the next pass tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Information, "Model {Model} unloaded on request; this replica leaves it unloaded until it is loaded again")]
    private static partial void LogHeldUnloaded(ILogger logger, string model);

    [LoggerMessage(LogLevel.Information, "Model {Model} version {Version} unloaded: the registry no longer wants it")]
    private static partial void LogUnloaded(ILogger logger, string model, string version);

    [LoggerMessage(LogLevel.Warning, "The registry cannot be read; the {Ready} loaded model versions keep serving")]
    private static partial void LogDatabaseUnavailable(ILogger logger, int ready, Exception exception);

    [LoggerMessage(LogLevel.Warning, "The registry cannot be read at start; serving the {Count} versions recorded in {Path} from the local cache")]
    private static partial void LogServingRecorded(ILogger logger, string path, int count, Exception exception);

    [LoggerMessage(LogLevel.Warning, "The desired state could not be recorded in {Path}")]
    private static partial void LogStateNotRecorded(ILogger logger, string path, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Model {Model} version {Version}: the artifact cannot be fetched ({Problem}); retrying in {Seconds} s")]
    private static partial void LogDownloadFailed(ILogger logger, string model, int version, double seconds, string problem);

    [LoggerMessage(LogLevel.Error, "Model {Model} version {Version} cannot be served: {Problem}")]
    private static partial void LogRefused(ILogger logger, string model, int version, string problem);

    [LoggerMessage(LogLevel.Error, "The registry lists model {Model} version {Version} with a name, hash, size or key this replica cannot use; it is skipped")]
    private static partial void LogInvalidEntry(ILogger logger, string model, int version);
}
