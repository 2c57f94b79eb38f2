using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace AiFactory.Storage;

/// <summary>
/// <see cref="IObjectStore"/> over the S3 API (AWSSDK.S3). Uploads read the content into one pooled part while the
/// previous part is sent, so an upload holds two parts of <see cref="StorageOptions.PartSizeBytes"/> whatever the
/// object's size; its size and SHA-256 come from the bytes read.
/// </summary>
public sealed class S3ObjectStore(IOptions<StorageOptions> options) : IObjectStore, IDisposable
{
    // CopyObject's limit on S3; larger objects are copied by streaming.
    private const long MaxServerSideCopyBytes = 5L * 1024 * 1024 * 1024;

    private readonly StorageOptions _options = options.Value;
    private readonly IAmazonS3 _s3 = CreateClient(options.Value);

    // Path-style requests (servers other than AWS rarely have per-bucket host names), bounded timeouts and retries.
    private static AmazonS3Client CreateClient(StorageOptions options)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = options.Endpoint!.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = options.Region,
            ConnectTimeout = options.ConnectTimeout,
            Timeout = options.RequestTimeout,
            MaxErrorRetry = options.MaxErrorRetries,
        };
        if (!options.ChunkedUploads)
        {
            // Otherwise the SDK sends its default CRC checksums as aws-chunked trailers, even when UseChunkEncoding is off.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        return new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public async Task<StoredObject> PutAsync(string key, Stream content, long maxBytes, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reader = new PartReader(content, hash, key, maxBytes);
        var current = ArrayPool<byte>.Shared.Rent(_options.PartSizeBytes);
        var next = ArrayPool<byte>.Shared.Rent(_options.PartSizeBytes);
        try
        {
            var filled = await reader.FillAsync(current.AsMemory(0, _options.PartSizeBytes), ct);
            if (filled < _options.PartSizeBytes)
            {
                await Call(key, () => _s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    InputStream = new MemoryStream(current, 0, filled, writable: false),
                    UseChunkEncoding = _options.ChunkedUploads,
                }, ct), ct);
            }
            else
            {
                await PutMultipartAsync(key, reader, current, next, filled, ct);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }

        return new StoredObject(key, reader.TotalBytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    // Part n is sent while part n+1 is read. A failure aborts the upload, so no half object stays behind.
    private async Task PutMultipartAsync(string key, PartReader reader, byte[] current, byte[] next, int filled, CancellationToken ct)
    {
        var uploadId = (await Call(key, () => _s3.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = key }, ct), ct)).UploadId;
        var parts = new List<PartETag>();
        Task<UploadPartResponse>? sending = null;
        try
        {
            while (filled > 0)
            {
                sending = Call(key, () => _s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = parts.Count + 1,
                    InputStream = new MemoryStream(current, 0, filled, writable: false),
                    UseChunkEncoding = _options.ChunkedUploads,
                }, ct), ct);
                var nextFilled = await reader.FillAsync(next.AsMemory(0, _options.PartSizeBytes), ct);
                parts.Add(new PartETag(parts.Count + 1, (await sending).ETag));
                sending = null;
                (current, next, filled) = (next, current, nextFilled);
            }

            await Call(key, () => _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = parts,
            }, ct), ct);
        }
        catch
        {
            // The part being sent still reads its buffer: wait for it before the buffers go back to the pool.
            if (sending is not null)
            {
                await ((Task)sending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await AbortQuietlyAsync(key, uploadId);
            throw;
        }
    }

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout);
            await _s3.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = uploadId }, timeout.Token);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or OperationCanceledException)
        {
            // The store may be the reason the upload failed; its own cleanup of incomplete uploads is the fallback.
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var response = await Call(key, () => _s3.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key }, ct), ct);
        return new ObjectReadStream(response, key, _options.Endpoint);
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        try
        {
            await HeadAsync(key, ct);
            return true;
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }

    public async Task CopyAsync(string sourceKey, string destinationKey, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceKey);
        ArgumentException.ThrowIfNullOrEmpty(destinationKey);
        var source = await HeadAsync(sourceKey, ct);
        if (_options.ServerSideCopy && source.ContentLength <= MaxServerSideCopyBytes)
        {
            try
            {
                await Call(sourceKey, () => _s3.CopyObjectAsync(new CopyObjectRequest
                {
                    SourceBucket = _options.Bucket,
                    SourceKey = sourceKey,
                    DestinationBucket = _options.Bucket,
                    DestinationKey = destinationKey,
                }, ct), ct);
            }
            catch (StorageUnavailableException e) when (e.InnerException is AmazonS3Exception { ErrorCode: "NoSuchBucket" } refused)
            {
                // The bucket answered the HEAD just before: the server could not read the copy source the SDK sent.
                throw new StorageUnavailableException(
                    $"server-side copy of '{sourceKey}' failed at {_options.Endpoint}: the server answered {refused.ErrorCode} for a source it holds; "
                    + "a server that cannot read the SDK's x-amz-copy-source (s3rver) needs ServerSideCopy=false", refused);
            }

            return;
        }

        await using var content = await OpenReadAsync(sourceKey, ct);
        await PutAsync(destinationKey, content, long.MaxValue, ct);
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        await Call(key, () => _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, ct), ct);
    }

    public async Task EnsureBucketAsync(CancellationToken ct)
    {
        var exists = await Call(_options.Bucket!, async () =>
        {
            try
            {
                await _s3.HeadBucketAsync(new HeadBucketRequest { BucketName = _options.Bucket }, ct);
                return true;
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
        }, ct);
        if (exists)
        {
            return;
        }

        try
        {
            await Call(_options.Bucket!, () => _s3.PutBucketAsync(new PutBucketRequest { BucketName = _options.Bucket }, ct), ct);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
            // Another service created it at the same moment.
        }
    }

    private Task<GetObjectMetadataResponse> HeadAsync(string key, CancellationToken ct) =>
        Call(key, () => _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key }, ct), ct);

    /// <summary>
    /// One S3 call, its failures in this interface's terms: a missing key is <see cref="ObjectNotFoundException"/>;
    /// anything that means the store cannot serve (no connection, timeouts, 5xx, refused credentials, no bucket) is
    /// <see cref="StorageUnavailableException"/>. The caller's own cancellation stays a cancellation.
    /// </summary>
    private async Task<T> Call<T>(string key, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is null or "NoSuchKey" or "NotFound")
        {
            throw new ObjectNotFoundException(key, e);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
            throw new StorageUnavailableException($"the bucket '{_options.Bucket}' does not exist at {_options.Endpoint}", e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new StorageUnavailableException($"the object store at {_options.Endpoint} refused the credentials ({e.ErrorCode})", e);
        }
        catch (AmazonServiceException e) when ((int)e.StatusCode >= 500 || e.StatusCode == 0)
        {
            throw new StorageUnavailableException($"the object store at {_options.Endpoint} failed: {e.ErrorCode ?? e.Message}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or TimeoutException or AmazonClientException
                                      || e is OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new StorageUnavailableException($"the object store at {_options.Endpoint} cannot be reached: {e.Message}", e);
        }
    }

    public void Dispose() => _s3.Dispose();

    /// <summary>Reads the content into parts, hashing and counting every byte, and never more than one byte past the limit.</summary>
    private sealed class PartReader(Stream content, IncrementalHash hash, string key, long maxBytes)
    {
        public long TotalBytes { get; private set; }

        /// <summary>Fills <paramref name="part"/>; less than its length only at the end of the content.</summary>
        public async Task<int> FillAsync(Memory<byte> part, CancellationToken ct)
        {
            var filled = 0;
            while (filled < part.Length)
            {
                // One byte past the limit is enough to know the content is too large.
                var room = part.Length - filled;
                var allowed = maxBytes - TotalBytes < room ? (int)(maxBytes - TotalBytes) + 1 : room;
                var read = await content.ReadAsync(part.Slice(filled, allowed), ct);
                if (read == 0)
                {
                    break;
                }

                hash.AppendData(part.Span.Slice(filled, read));
                filled += read;
                TotalBytes += read;
                if (TotalBytes > maxBytes)
                {
                    throw new ObjectTooLargeException(key, maxBytes);
                }
            }

            return filled;
        }
    }
}
