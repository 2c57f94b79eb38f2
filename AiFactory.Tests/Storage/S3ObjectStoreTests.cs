using System.Security.Cryptography;
using AiFactory.Storage;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Storage;

/// <summary><see cref="S3ObjectStore"/> against a real s3rver, with the settings the AppHost gives the services.</summary>
public sealed class S3ObjectStoreTests(S3rverFixture fixture) : IClassFixture<S3rverFixture>
{
    private const int PartSize = StorageOptions.MinPartSizeBytes;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private S3rverProcess Server => fixture.Server;

    [Fact]
    public async Task Put_returns_the_size_and_sha256_of_the_bytes_and_get_returns_the_same_bytes()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        using var store = Server.CreateStore();
        var key = ArtifactKeys.Staging();

        var stored = await store.PutAsync(key, new MemoryStream(bytes), maxBytes: 1000, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(new StoredObject(key, 1000, Convert.ToHexStringLower(SHA256.HashData(bytes))), stored);
        Assert.Equal(bytes, await ReadAllAsync(store, key));
        Assert.True(await store.ExistsAsync(key, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_12_mb_object_is_uploaded_in_parts_and_reads_back_identical()
    {
        const long size = 12 * 1024 * 1024 + 123;
        using var store = Server.CreateStore(options => options.PartSizeBytes = PartSize);
        var key = ArtifactKeys.Model("multipart", new string('a', 64));

        var stored = await store.PutAsync(key, new GeneratedStream(size, seed: 12), size, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(size, stored.SizeBytes);
        Assert.Equal(Sha256Of(new GeneratedStream(size, seed: 12)), stored.Sha256);
        await using var read = new VerifyingStream(await store.OpenReadAsync(key, CancellationToken.None), stored);
        await read.CopyToAsync(Stream.Null).WaitAsync(Timeout);
    }

    [Theory]
    [InlineData(1000)]                 // refused inside the first part: a single PUT never starts
    [InlineData(2 * PartSize + 10)]    // refused after two parts were sent: the multipart upload is aborted (s3rver ignores the abort)
    public async Task Attack_an_endless_upload_is_refused_after_one_byte_past_the_limit_and_nothing_is_stored(long maxBytes)
    {
        using var store = Server.CreateStore(options => options.PartSizeBytes = PartSize);
        var endless = new GeneratedStream(GeneratedStream.Endless);
        var key = ArtifactKeys.Staging();

        var refused = await Assert.ThrowsAsync<ObjectTooLargeException>(
            () => store.PutAsync(key, endless, maxBytes, CancellationToken.None).WaitAsync(Timeout));

        Assert.Equal($"the object for '{key}' is larger than the limit of {maxBytes} bytes", refused.Message);
        Assert.Equal(maxBytes + 1, endless.BytesRead);
        Assert.False(await store.ExistsAsync(key, CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task An_object_of_exactly_max_bytes_is_stored()
    {
        const long size = PartSize + 1;
        using var store = Server.CreateStore(options => options.PartSizeBytes = PartSize);

        var stored = await store.PutAsync(ArtifactKeys.Staging(), new GeneratedStream(size), maxBytes: size, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(size, stored.SizeBytes);
    }

    [Fact]
    public async Task Attack_other_bytes_put_under_an_artifacts_key_are_caught_by_the_verifying_stream_naming_key_and_hashes()
    {
        using var store = Server.CreateStore();
        var stored = await PutArtifactAsync(store, "replaced");

        // Someone with write access to the bucket replaces the artifact with a model of the same size.
        var other = RandomNumberGenerator.GetBytes(4096);
        await store.PutAsync(stored.Key, new MemoryStream(other), other.Length, CancellationToken.None).WaitAsync(Timeout);

        await using var read = new VerifyingStream(await store.OpenReadAsync(stored.Key, CancellationToken.None), stored);
        var caught = await Assert.ThrowsAsync<ArtifactIntegrityException>(() => read.CopyToAsync(Stream.Null).WaitAsync(Timeout));

        Assert.Equal($"artifact '{stored.Key}' failed verification: SHA-256 is {Convert.ToHexStringLower(SHA256.HashData(other))}, expected {stored.Sha256}",
            caught.Message);
    }

    [Fact]
    public async Task Attack_bytes_changed_on_the_stores_disk_are_caught_as_an_integrity_failure_naming_the_key()
    {
        using var store = Server.CreateStore();
        var stored = await PutArtifactAsync(store, "tampered");

        // Someone with access to the store's disk flips one byte of the artifact (its ETag stays the old MD5, so the
        // SDK's own check sees it before the SHA-256 would).
        var file = Server.ObjectFile(stored.Key);
        var onDisk = await File.ReadAllBytesAsync(file);
        onDisk[100] ^= 0xFF;
        await File.WriteAllBytesAsync(file, onDisk);

        await using var read = new VerifyingStream(await store.OpenReadAsync(stored.Key, CancellationToken.None), stored);
        var caught = await Assert.ThrowsAsync<ArtifactIntegrityException>(() => read.CopyToAsync(Stream.Null).WaitAsync(Timeout));

        Assert.StartsWith($"artifact '{stored.Key}' failed verification: its bytes do not match the store's own MD5 of the object", caught.Message);
    }

    [Fact]
    public async Task Attack_a_store_sending_more_or_fewer_bytes_than_recorded_is_caught()
    {
        using var store = Server.CreateStore();
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        var stored = await store.PutAsync(ArtifactKeys.Staging(), new MemoryStream(bytes), bytes.Length, CancellationToken.None).WaitAsync(Timeout);

        // The registry recorded fewer bytes than the store sends: the read stops as soon as the size is passed.
        await using (var longer = new VerifyingStream(await store.OpenReadAsync(stored.Key, CancellationToken.None), stored with { SizeBytes = 4096 }))
        {
            var caught = await Assert.ThrowsAsync<ArtifactIntegrityException>(() => longer.CopyToAsync(Stream.Null, 1024).WaitAsync(Timeout));
            Assert.Equal($"artifact '{stored.Key}' failed verification: more than the expected 4096 bytes arrived", caught.Message);
            Assert.True(longer.Position <= 4096 + 1024, $"read {longer.Position} bytes before stopping");
        }

        await using var shorter = new VerifyingStream(await store.OpenReadAsync(stored.Key, CancellationToken.None), stored with { SizeBytes = 20_000 });
        var truncated = await Assert.ThrowsAsync<ArtifactIntegrityException>(() => shorter.CopyToAsync(Stream.Null).WaitAsync(Timeout));
        Assert.Equal($"artifact '{stored.Key}' failed verification: 10000 bytes arrived, expected 20000", truncated.Message);
    }

    [Fact]
    public async Task Streamed_copy_puts_the_same_bytes_under_the_new_key()
    {
        const long size = 2 * PartSize + 77;
        using var store = Server.CreateStore(options => options.PartSizeBytes = PartSize);
        var staged = await store.PutAsync(ArtifactKeys.Staging(), new GeneratedStream(size, seed: 3), size, CancellationToken.None).WaitAsync(Timeout);
        var address = ArtifactKeys.Model("copied", staged.Sha256);

        await store.CopyAsync(staged.Key, address, CancellationToken.None).WaitAsync(Timeout);

        await using var read = new VerifyingStream(await store.OpenReadAsync(address, CancellationToken.None), staged with { Key = address });
        await read.CopyToAsync(Stream.Null).WaitAsync(Timeout);
        Assert.Equal(size, read.Position);
    }

    /// <summary>
    /// Why s3rver's connection string says <c>ServerSideCopy=false</c>: the SDK sends <c>x-amz-copy-source</c>
    /// URL-encoded as S3 specifies (<c>aifactory%2Fstaging%2F…</c>), and s3rver 3.7.1 decodes it with decodeURI, which
    /// leaves <c>%2F</c>, so it looks for a bucket named after the whole path. The error says what to set.
    /// </summary>
    [Fact]
    public async Task Server_side_copy_fails_on_s3rver_with_a_message_that_names_the_setting()
    {
        using var store = Server.CreateStore(options => options.ServerSideCopy = true);
        var staged = await store.PutAsync(ArtifactKeys.Staging(), new MemoryStream([1, 2, 3]), 3, CancellationToken.None).WaitAsync(Timeout);

        var failed = await Assert.ThrowsAsync<StorageUnavailableException>(
            () => store.CopyAsync(staged.Key, ArtifactKeys.Staging(), CancellationToken.None).WaitAsync(Timeout));

        Assert.Contains($"server-side copy of '{staged.Key}' failed", failed.Message);
        Assert.Contains("needs ServerSideCopy=false", failed.Message);
    }

    [Fact]
    public async Task Delete_removes_the_object_and_deleting_again_is_not_an_error()
    {
        using var store = Server.CreateStore();
        var stored = await store.PutAsync(ArtifactKeys.Staging(), new MemoryStream([1, 2, 3]), 3, CancellationToken.None).WaitAsync(Timeout);

        await store.DeleteAsync(stored.Key, CancellationToken.None).WaitAsync(Timeout);
        await store.DeleteAsync(stored.Key, CancellationToken.None).WaitAsync(Timeout);

        Assert.False(await store.ExistsAsync(stored.Key, CancellationToken.None).WaitAsync(Timeout));
        var missing = await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.OpenReadAsync(stored.Key, CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal($"no object is stored under '{stored.Key}'", missing.Message);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.CopyAsync(stored.Key, ArtifactKeys.Staging(), CancellationToken.None).WaitAsync(Timeout));
    }

    /// <summary>
    /// The tested setting for servers without aws-chunked uploads (DESIGN §9): with the SDK's defaults s3rver keeps
    /// the chunk framing (chunk sizes, signatures, the checksum trailer) as part of the object; with
    /// <c>ChunkedUploads=false</c> the object is exactly the bytes sent.
    /// </summary>
    [Fact]
    public async Task Sdk_default_chunked_uploads_corrupt_objects_on_s3rver_and_chunked_uploads_false_does_not()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        using var plain = Server.CreateStore();
        using var chunked = Server.CreateStore(options => options.ChunkedUploads = true);

        var framed = await chunked.PutAsync(ArtifactKeys.Staging(), new MemoryStream(bytes), bytes.Length, CancellationToken.None).WaitAsync(Timeout);
        var whole = await plain.PutAsync(ArtifactKeys.Staging(), new MemoryStream(bytes), bytes.Length, CancellationToken.None).WaitAsync(Timeout);

        var framedBack = await ReadAllAsync(plain, framed.Key);
        Assert.True(framedBack.Length > bytes.Length, $"with aws-chunked uploads s3rver returned {framedBack.Length} bytes for 1000");
        Assert.Contains("chunk-signature", System.Text.Encoding.ASCII.GetString(framedBack));
        Assert.Equal(bytes, await ReadAllAsync(plain, whole.Key));
    }

    [Fact]
    public async Task A_missing_bucket_is_created_once_and_then_serves()
    {
        using var store = Server.CreateStore(options => options.Bucket = $"fresh-{Guid.NewGuid():N}"[..20]);

        await store.EnsureBucketAsync(CancellationToken.None).WaitAsync(Timeout);
        await store.EnsureBucketAsync(CancellationToken.None).WaitAsync(Timeout);
        var stored = await store.PutAsync(ArtifactKeys.Staging(), new MemoryStream([7]), 1, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal([7], await ReadAllAsync(store, stored.Key));
    }

    // 4 KiB of random bytes at their content address, as the registry stores a model.
    private static async Task<StoredObject> PutArtifactAsync(IObjectStore store, string model)
    {
        var bytes = RandomNumberGenerator.GetBytes(4096);
        var key = ArtifactKeys.Model(model, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        return await store.PutAsync(key, new MemoryStream(bytes), bytes.Length, CancellationToken.None).WaitAsync(Timeout);
    }

    private static async Task<byte[]> ReadAllAsync(IObjectStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key, CancellationToken.None).WaitAsync(Timeout);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy).WaitAsync(Timeout);
        return copy.ToArray();
    }

    private static string Sha256Of(Stream stream) => Convert.ToHexStringLower(SHA256.HashData(stream));
}
