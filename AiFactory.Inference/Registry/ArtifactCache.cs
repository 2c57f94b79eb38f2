using AiFactory.Inference.Repository;
using AiFactory.Storage;

namespace AiFactory.Inference.Registry;

/// <summary>
/// The replica's local copies of registry artifacts: <c>&lt;repository&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c> with the
/// version's <c>config.json</c> beside it. A download streams into <c>model.onnx.partial</c> through
/// <see cref="VerifyingStream"/> and is renamed only once its size and SHA-256 matched, so the cache never holds a
/// file that is not the artifact; <c>model.sha256</c>, written last, says which artifact the folder holds.
/// </summary>
public sealed class ArtifactCache(IObjectStore store, RegistryMetrics metrics)
{
    private const string HashFileName = "model.sha256";

    public static string FolderOf(string repositoryRoot, DesiredVersion version) =>
        Path.Combine(repositoryRoot, version.Model, version.VersionText);

    /// <summary>True when the folder holds this artifact (checked by its recorded hash and its size).</summary>
    public static bool Holds(string repositoryRoot, DesiredVersion version)
    {
        var folder = FolderOf(repositoryRoot, version);
        var model = new FileInfo(Path.Combine(folder, ModelRepositoryLoader.ModelFileName));
        var hash = Path.Combine(folder, HashFileName);
        return model.Exists && model.Length == version.SizeBytes && File.Exists(hash) && File.ReadAllText(hash).Trim() == version.Sha256;
    }

    /// <summary>
    /// Makes sure the folder holds the version's artifact, downloading it when it does not, and writes its config.
    /// Returns the model file's path.
    /// </summary>
    /// <exception cref="StorageUnavailableException">The store cannot be reached.</exception>
    /// <exception cref="ObjectNotFoundException">The store does not hold the artifact.</exception>
    /// <exception cref="ArtifactIntegrityException">What arrived is not the artifact.</exception>
    public async Task<string> EnsureAsync(string repositoryRoot, DesiredVersion version, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateDirectory(FolderOf(repositoryRoot, version)).FullName;
        var modelPath = Path.Combine(folder, ModelRepositoryLoader.ModelFileName);
        await WriteAtomicallyAsync(Path.Combine(folder, ModelConfig.FileName), version.Config, cancellationToken);
        if (Holds(repositoryRoot, version))
        {
            return modelPath;
        }

        var partial = modelPath + ".partial";
        try
        {
            await using (var source = await store.OpenReadAsync(version.StorageKey, cancellationToken))
            await using (var verified = new VerifyingStream(source, new StoredObject(version.StorageKey, version.SizeBytes, version.Sha256)))
            await using (var target = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await verified.CopyToAsync(target, cancellationToken);
                target.Flush(flushToDisk: true);
            }

            File.Move(partial, modelPath, overwrite: true);
            await WriteAtomicallyAsync(Path.Combine(folder, HashFileName), version.Sha256, cancellationToken);
        }
        catch (Exception e)
        {
            File.Delete(partial);
            metrics.Downloaded(e switch
            {
                StorageUnavailableException => "storage_unavailable",
                ObjectNotFoundException => "not_found",
                ArtifactIntegrityException => "integrity_failed",
                _ => "failed",
            });
            throw;
        }

        metrics.Downloaded("ok", version.SizeBytes);
        return modelPath;
    }

    /// <summary>
    /// Deletes a version's folder once it is unloaded, so the cache holds what the registry wants and no more. Best
    /// effort: a file still open (Windows) stays until the next eviction of its version.
    /// </summary>
    public static void Evict(string repositoryRoot, string model, string version)
    {
        try
        {
            Directory.Delete(Path.Combine(repositoryRoot, model, version), recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for later: Holds() checks the hash before anything is served from it again.
        }
    }

    private static async Task WriteAtomicallyAsync(string path, string content, CancellationToken cancellationToken)
    {
        var staging = path + ".partial";
        await File.WriteAllTextAsync(staging, content, cancellationToken);
        File.Move(staging, path, overwrite: true);
    }
}
