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

    /// <summary>
    /// The version a request names, or the newest ready version when it names none (Triton's rule).
    /// </summary>
    public ModelLookup Find(string name, string? version)
    {
        if (!_models.TryGetValue(name, out var versions))
        {
            return new ModelLookup(null, $"unknown model '{name}'");
        }

        if (string.IsNullOrEmpty(version))
        {
            var newestReady = versions.LastOrDefault(entry => entry.IsReady) ?? versions.LastOrDefault();
            return newestReady is null ? new ModelLookup(null, $"model '{name}' has no versions") : new ModelLookup(newestReady, "");
        }

        var entry = Array.Find(versions, candidate => candidate.Version == version);
        return entry is null
            ? new ModelLookup(null, $"unknown version '{version}' of model '{name}'")
            : new ModelLookup(entry, "");
    }

    /// <summary>The version numbers of a model, oldest first.</summary>
    public string[] VersionsOf(string name) =>
        _models.TryGetValue(name, out var versions) ? [.. versions.Select(entry => entry.Version)] : [];

    /// <summary>Records the state of a version; the previous session, if any, is disposed by the caller.</summary>
    public void Set(ModelVersionEntry entry) =>
        _models.AddOrUpdate(entry.Name, [entry], (_, versions) =>
            [.. versions.Where(existing => existing.Version != entry.Version).Append(entry).OrderBy(e => long.Parse(e.Version))]);

    public void MarkInitialLoadDone() => _initialLoadDone = true;
}

/// <summary>The result of a lookup: the entry, or why there is none.</summary>
public readonly record struct ModelLookup(ModelVersionEntry? Entry, string Error);
