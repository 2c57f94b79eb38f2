using System.Text.Json;
using System.Text.Json.Serialization;
using AiFactory.Evaluation.Labelled;
using AiFactory.Gateway.Errors;
using AiFactory.Storage;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// A version's labelled set as the registry records it (column <c>model_versions.labelled_set</c>): where the bytes
/// are, and what the set measures, so a report and a console can say so without reading it.
/// </summary>
public sealed record LabelledSetRecord(
    [property: JsonPropertyName("storage_key")] string StorageKey,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("samples")] int Samples)
{
    public string ToJson() => JsonSerializer.Serialize(this);
}

/// <summary>
/// Receives the labelled set of an upload (the multipart part <c>labelled_set</c>): streams it into a staging object
/// (at most <see cref="RegistryOptions.MaxLabelledSetBytes"/>, counted on the bytes received), reads it back with
/// <see cref="LabelledSetReader"/> (a malformed set is a 400 with the reader's message, naming the JSON path), then
/// copies it to its content address. The staging object is deleted either way.
/// </summary>
public sealed class LabelledSetUploads(IObjectStore store, UploadService uploads, IOptions<RegistryOptions> options)
{
    /// <exception cref="RequestRefusedException">413 past the limit; 400 empty or malformed; 503 the store cannot be reached.</exception>
    public async Task<LabelledSetRecord> StoreAsync(string model, Stream content, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxLabelledSetBytes;
        StoredObject staged;
        try
        {
            staged = await store.PutAsync(ArtifactKeys.Staging(), content, limit, cancellationToken);
        }
        catch (ObjectTooLargeException)
        {
            throw TooLarge(limit);
        }
        catch (StorageUnavailableException e)
        {
            throw UploadService.Unavailable(e);
        }

        try
        {
            if (staged.SizeBytes == 0)
            {
                throw RequestRefusedException.BadRequest("'labelled_set': the part is empty: send the labelled set's JSON (docs/optimization.md)");
            }

            LabelledSet set;
            await using (var stored = await store.OpenReadAsync(staged.Key, cancellationToken))
            await using (var verified = new VerifyingStream(stored, staged))
            {
                set = await LabelledSetReader.ReadAsync(verified, new LabelledSetLimits { MaxBytes = limit }, cancellationToken);
            }

            var key = ArtifactKeys.LabelledSet(model, staged.Sha256);
            await store.CopyAsync(staged.Key, key, cancellationToken);
            return new LabelledSetRecord(key, staged.Sha256, staged.SizeBytes, LabelledMetrics.Name(set.Metric), set.Output, set.Samples.Count);
        }
        catch (LabelledSetTooLargeException)
        {
            throw TooLarge(limit);
        }
        catch (LabelledSetException e)
        {
            throw RequestRefusedException.BadRequest($"'labelled_set': {e.Message}");
        }
        catch (StorageUnavailableException e)
        {
            throw UploadService.Unavailable(e);
        }
        finally
        {
            await uploads.DiscardAsync(new UploadService.StagedUpload(staged));
        }
    }

    private static RequestRefusedException TooLarge(int limit) =>
        RequestRefusedException.TooLarge($"'labelled_set': the labelled set is larger than the limit of {limit} bytes (Registry:MaxLabelledSetBytes)");
}
