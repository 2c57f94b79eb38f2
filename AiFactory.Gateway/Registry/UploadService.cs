using AiFactory.Gateway.Errors;
using AiFactory.Storage;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// Uploads model versions: the bytes stream to a staging object (never held whole in memory; size and SHA-256
/// measured from the bytes actually received, whatever Content-Length said), then, unless the model already has
/// these bytes, are copied to their content address and the version is added in state <c>validating</c>. The staging
/// object is deleted either way.
/// </summary>
public sealed partial class UploadService(IObjectStore store, RegistryStore registry, ValidationWorker validation, IOptions<RegistryOptions> options,
    ILogger<UploadService> logger)
{
    /// <summary>Bytes received into the store, not yet a version: <see cref="AddAsync"/> or <see cref="DiscardAsync"/> it.</summary>
    public sealed record StagedUpload(StoredObject Object);

    /// <summary>Streams <paramref name="content"/> into a staging object, reading at most <see cref="RegistryOptions.MaxUploadBytes"/> + 1 bytes.</summary>
    /// <exception cref="RequestRefusedException">413 past the limit (nothing is kept); 400 an empty body; 503 the store cannot be reached.</exception>
    public async Task<StagedUpload> StageAsync(Stream content, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxUploadBytes;
        StoredObject stored;
        try
        {
            stored = await store.PutAsync(ArtifactKeys.Staging(), content, limit, cancellationToken);
        }
        catch (ObjectTooLargeException)
        {
            throw TooLarge(limit);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's limit on the whole body (the upload endpoint sets it just above this one) counts what it read
            // ahead of the store: the same refusal.
            throw TooLarge(limit);
        }
        catch (StorageUnavailableException e)
        {
            throw Unavailable(e);
        }

        var staged = new StagedUpload(stored);
        if (stored.SizeBytes == 0)
        {
            await DiscardAsync(staged);
            throw RequestRefusedException.BadRequest("the request body is empty: send the model's ONNX bytes");
        }

        return staged;
    }

    /// <summary>
    /// Makes <paramref name="staged"/> the next version of <paramref name="model"/> (or, for the seeder, version
    /// <paramref name="version"/>), with its <paramref name="labelledSet"/> if one came with it, and wakes the validation
    /// worker; the staging object is deleted either way.
    /// </summary>
    /// <exception cref="RequestRefusedException">409 the model already has these bytes; 503 the store cannot be reached.</exception>
    public async Task<VersionRecord> AddAsync(StagedUpload staged, string model, string config, string keyId, CancellationToken cancellationToken,
        int? version = null, LabelledSetRecord? labelledSet = null) =>
        await CommitAsync(staged, model, async (stored, key) =>
        {
            if (await registry.VersionWithHashAsync(model, stored.Sha256, cancellationToken) is { } existing)
            {
                throw RegistryStore.Identical(model, existing);
            }

            await store.CopyAsync(stored.Key, key, cancellationToken);
            return await registry.AddVersionAsync(
                new RegistryStore.NewVersion(model, version, stored.Sha256, stored.SizeBytes, key, config, keyId, labelledSet?.ToJson()), cancellationToken);
        });

    /// <summary>
    /// Makes <paramref name="staged"/> (a transform's output) a version of <paramref name="model"/> derived from
    /// <paramref name="parent"/>, with <paramref name="config"/> and the lineage <paramref name="transform"/> (JSON), and
    /// wakes the validation worker; the staging object is deleted either way.
    /// </summary>
    /// <exception cref="RequestRefusedException">404/409 as <see cref="RegistryStore.AddDerivedVersionAsync"/>; 503 the store cannot be reached.</exception>
    public async Task<VersionRecord> AddDerivedAsync(StagedUpload staged, string model, int parent, string config, string transform, string keyId,
        CancellationToken cancellationToken) =>
        await CommitAsync(staged, model, async (stored, key) =>
        {
            await store.CopyAsync(stored.Key, key, cancellationToken);
            return await registry.AddDerivedVersionAsync(
                new RegistryStore.DerivedVersion(model, parent, stored.Sha256, stored.SizeBytes, key, config, transform, keyId), cancellationToken);
        });

    // The staged bytes go to their content address and become a version (add); the staging object goes either way.
    private async Task<VersionRecord> CommitAsync(StagedUpload staged, string model, Func<StoredObject, string, Task<VersionRecord>> add)
    {
        try
        {
            var added = await add(staged.Object, ArtifactKeys.Model(model, staged.Object.Sha256));
            validation.Wake();
            return added;
        }
        catch (StorageUnavailableException e)
        {
            throw Unavailable(e);
        }
        finally
        {
            await DiscardAsync(staged);
        }
    }

    /// <summary>Deletes the staging object; a failure is only logged (the bucket's staging/ prefix may be swept).</summary>
    public async Task DiscardAsync(StagedUpload staged)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await store.DeleteAsync(staged.Object.Key, timeout.Token);
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
        {
            LogStagingLeft(staged.Object.Key, e.Message);
        }
    }

    public static RequestRefusedException TooLarge(long limit) =>
        RequestRefusedException.TooLarge($"the model is larger than the limit of {limit} bytes (Registry:MaxUploadBytes)");

    public static RequestRefusedException Unavailable(StorageUnavailableException e) =>
        RequestRefusedException.Unavailable($"the object store is unavailable: {e.Message}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "The staging object {Key} could not be deleted and is left in the bucket: {Reason}")]
    private partial void LogStagingLeft(string key, string reason);
}
