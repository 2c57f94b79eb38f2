using System.Collections.Concurrent;

namespace AiFactory.Inference.Repository;

/// <summary>The models this server knows, by name and version; the one place requests look models up.</summary>
public sealed class ModelRepository
{
    private readonly ConcurrentDictionary<string, ModelVersionEntry[]> _models = new(StringComparer.Ordinal);
    private volatile bool _initialLoadDone;

    /// <summary>True once every model found at start has either loaded or failed.</summary>
    public bool InitialLoadDone => _initialLoadDone;

    /// <summary>Every model version, ordered by name and then by version number.</summary>
    public IEnumerable<ModelVersionEntry> Entries =>
        _models.OrderBy(pair => pair.Key, StringComparer.Ordinal).SelectMany(pair => pair.Value);

    /// <summary>The names of the models with at least one entry.</summary>
    public IEnumerable<string> ModelNames => _models.Keys;

    /// <summary>
    /// The version a request names, or the newest ready version when it names none (Triton's rule).
    /// </summary>
    public ModelLookup Find(string name, string? version)
    {
        if (!_models.TryGetValue(name, out var versions) || versions.Length == 0)
        {
            return new ModelLookup(null, $"unknown model '{name}'");
        }

        if (string.IsNullOrEmpty(version))
        {
            return new ModelLookup(versions.LastOrDefault(entry => entry.IsReady) ?? versions[^1], "");
        }

        var entry = Array.Find(versions, candidate => candidate.Version == version);
        return entry is null
            ? new ModelLookup(null, $"unknown version '{version}' of model '{name}'")
            : new ModelLookup(entry, "");
    }

    /// <summary>The version numbers of a model, oldest first.</summary>
    public string[] VersionsOf(string name) =>
        _models.TryGetValue(name, out var versions) ? [.. versions.Select(entry => entry.Version)] : [];

    /// <summary>The entries of one model, oldest version first.</summary>
    public IReadOnlyList<ModelVersionEntry> EntriesOf(string name) =>
        _models.TryGetValue(name, out var versions) ? versions : [];

    /// <summary>Records the state of a version and returns the entry it replaced, whose model the caller retires.</summary>
    public ModelVersionEntry? Set(ModelVersionEntry entry)
    {
        ModelVersionEntry? previous = null;
        _models.AddOrUpdate(entry.Name, [entry], (_, versions) =>
        {
            previous = Array.Find(versions, existing => existing.Version == entry.Version);
            return [.. versions.Where(existing => existing.Version != entry.Version).Append(entry).OrderBy(e => long.Parse(e.Version))];
        });
        return previous;
    }

    /// <summary>Forgets a version and returns its entry, whose model the caller retires.</summary>
    public ModelVersionEntry? Remove(string name, string version)
    {
        ModelVersionEntry? removed = null;
        _models.AddOrUpdate(name, [], (_, versions) =>
        {
            removed = Array.Find(versions, existing => existing.Version == version);
            return [.. versions.Where(existing => existing.Version != version)];
        });
        if (_models.TryGetValue(name, out var left) && left.Length == 0)
        {
            _models.TryRemove(new KeyValuePair<string, ModelVersionEntry[]>(name, left));
        }

        return removed;
    }

    public void MarkInitialLoadDone() => _initialLoadDone = true;

    /// <summary>
    /// Server readiness as the protocol defines it: the initial load finished and every model version is ready.
    /// </summary>
    /// <param name="reason">Why not, when it is not.</param>
    public bool IsServerReady(out string reason)
    {
        if (!_initialLoadDone)
        {
            reason = "the model repository is still loading";
            return false;
        }

        var notReady = Entries.Where(entry => !entry.IsReady).Select(entry => $"{entry.Name}/{entry.Version} ({entry.State})").ToList();
        reason = notReady.Count == 0 ? "" : $"models not ready: {string.Join(", ", notReady)}";
        return notReady.Count == 0;
    }
}

/// <summary>The result of a lookup: the entry, or why there is none.</summary>
public readonly record struct ModelLookup(ModelVersionEntry? Entry, string Error);
