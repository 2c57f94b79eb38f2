namespace AiFactory.Storage;

public static class ArtifactDownload
{
    /// <summary>
    /// Downloads <paramref name="artifact"/> to <paramref name="path"/>, verified while it streams: the bytes go to
    /// <c>&lt;path&gt;.partial</c>, which becomes <paramref name="path"/> only once its size and SHA-256 matched, so
    /// <paramref name="path"/> never holds anything but the artifact. On any failure the partial file is deleted.
    /// </summary>
    /// <exception cref="ArtifactIntegrityException">The bytes are not the artifact's.</exception>
    /// <exception cref="ObjectNotFoundException">The store has no such object.</exception>
    /// <exception cref="StorageUnavailableException">The store cannot be reached, or stopped sending.</exception>
    public static async Task DownloadToFileAsync(this IObjectStore store, StoredObject artifact, string path, CancellationToken ct)
    {
        var partial = path + ".partial";
        try
        {
            await using (var source = new VerifyingStream(await store.OpenReadAsync(artifact.Key, ct), artifact))
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
            {
                await source.CopyToAsync(file, 1024 * 1024, ct);
                await file.FlushAsync(ct);
            }

            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }
}
