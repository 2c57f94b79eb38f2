using Amazon.Runtime;
using Amazon.S3.Model;

namespace AiFactory.Storage;

/// <summary>
/// An object's bytes as S3 sends them, its failures in <see cref="IObjectStore"/>'s terms: a connection lost while
/// reading is <see cref="StorageUnavailableException"/>, and the SDK's own check of a single-part object against its
/// ETag (MD5) is <see cref="ArtifactIntegrityException"/>, as <see cref="VerifyingStream"/>'s would be.
/// </summary>
internal sealed class ObjectReadStream(GetObjectResponse response, string key, Uri? endpoint) : ReadOnlyStream(response.ResponseStream)
{
    public override int Read(Span<byte> buffer)
    {
        try
        {
            return Inner.Read(buffer);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    private Exception? Translate(Exception e) => e switch
    {
        AmazonClientException => new ArtifactIntegrityException(key, $"its bytes do not match the store's own MD5 of the object ({e.Message})"),
        IOException or HttpRequestException => new StorageUnavailableException($"the object store at {endpoint} stopped sending '{key}': {e.Message}", e),
        _ => null,
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            response.Dispose();
        }

        base.Dispose(disposing);
    }
}
