namespace AiFactory.Storage;

/// <summary>
/// The object store model artifacts live in, through the S3 API only (AWS S3, SeaweedFS, Ceph, MinIO, s3rver).
/// Every failure to reach the store is a <see cref="StorageUnavailableException"/>.
/// </summary>
public interface IObjectStore
{
    /// <summary>
    /// Streams <paramref name="content"/> to <paramref name="key"/> (multipart in pooled, fixed-size parts; memory does
    /// not grow with the object) and returns what was stored, measured from the bytes actually read. Reads at most
    /// <paramref name="maxBytes"/> + 1 bytes: one more means <see cref="ObjectTooLargeException"/>, and nothing is stored.
    /// </summary>
    Task<StoredObject> PutAsync(string key, Stream content, long maxBytes, CancellationToken ct);

    /// <summary>The object's bytes; throws <see cref="ObjectNotFoundException"/>. Callers that know the hash wrap it in <see cref="VerifyingStream"/>.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    Task<bool> ExistsAsync(string key, CancellationToken ct);

    /// <summary>
    /// Copies an object inside the bucket: server-side where the server supports it (<see cref="StorageOptions.ServerSideCopy"/>),
    /// else streamed through this process in bounded memory. Throws <see cref="ObjectNotFoundException"/> for a missing source.
    /// </summary>
    Task CopyAsync(string sourceKey, string destinationKey, CancellationToken ct);

    /// <summary>Deletes the object; deleting a key that does not exist is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken ct);

    /// <summary>
    /// Checks that the store serves the bucket with these credentials, creating the bucket the first time (as the
    /// gateway creates its tables: in a cluster nothing else would). Throws <see cref="StorageUnavailableException"/>
    /// otherwise. The availability probe and the AppHost's health check call it.
    /// </summary>
    Task EnsureBucketAsync(CancellationToken ct);
}

/// <summary>An object as stored: its key, its size in bytes and its SHA-256 (lower-case hex), both measured while streaming.</summary>
public sealed record StoredObject(string Key, long SizeBytes, string Sha256);
