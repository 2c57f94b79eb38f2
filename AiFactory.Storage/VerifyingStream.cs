using System.Security.Cryptography;

namespace AiFactory.Storage;

/// <summary>
/// Reads an artifact and checks, while it is read, that it is the one expected: never more bytes than its size
/// (a store that sends more is caught at once), and at the end exactly its size and its SHA-256. A mismatch throws
/// <see cref="ArtifactIntegrityException"/> naming the key and both values; callers write to a temporary file and
/// keep it only once the stream has been read to its end.
/// </summary>
public sealed class VerifyingStream(Stream inner, StoredObject expected) : ReadOnlyStream(inner)
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;
    private ArtifactIntegrityException? _failure;

    public override long Length => expected.SizeBytes;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer) => Check(buffer, Inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken);
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

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
