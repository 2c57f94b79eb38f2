using System.Security.Cryptography;

namespace AiFactory.Storage;

/// <summary>
/// Reads an artifact and checks, while it is read, that it is the one expected: never more bytes than its size
/// (a store that sends more is caught at once), and at the end exactly its size and its SHA-256. A mismatch throws
/// <see cref="ArtifactIntegrityException"/> naming the key and both values; callers write to a temporary file and
/// keep it only once the stream has been read to its end.
/// </summary>
public sealed class VerifyingStream(Stream inner, StoredObject expected) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;
    private ArtifactIntegrityException? _failure;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => expected.SizeBytes;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Check(buffer, inner.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        return Check(buffer.Span, read);
    }

    private int Check(ReadOnlySpan<byte> buffer, int read)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (read == 0)
        {
            Verify();
            return 0;
        }

        _read += read;
        if (_read > expected.SizeBytes)
        {
            throw _failure = new ArtifactIntegrityException(expected.Key, $"more than the expected {expected.SizeBytes} bytes arrived");
        }

        _hash.AppendData(buffer[..read]);
        return read;
    }

    private void Verify()
    {
        if (_verified)
        {
            return;
        }

        if (_read != expected.SizeBytes)
        {
            throw _failure = new ArtifactIntegrityException(expected.Key, $"{_read} bytes arrived, expected {expected.SizeBytes}");
        }

        var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (actual != expected.Sha256)
        {
            throw _failure = new ArtifactIntegrityException(expected.Key, $"SHA-256 is {actual}, expected {expected.Sha256}");
        }

        _verified = true;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        _hash.Dispose();
        await base.DisposeAsync();
    }
}
