using System.Buffers;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// The request body as it streams to a replica, with a copy of what was read kept in pooled memory (up to a limit)
/// so that a retry can send it again. Past the limit the copy is dropped and the body can no longer be replayed;
/// it keeps streaming either way.
/// </summary>
internal sealed class ReplayableRequestBody(Stream inner, long limit, long? expectedLength) : Stream
{
    private const int InitialBufferBytes = 16 * 1024;

    private byte[]? _copy;
    private int _copied;
    private int _position;
    private bool _overflowed;
    private bool _consumed;
    private int _reading;

    /// <summary>
    /// Starts the next read at the body's first byte; false when bytes were read whose copy was dropped, or a read is
    /// still in flight.
    /// </summary>
    public bool TryRewind()
    {
        if ((_overflowed && _consumed) || Volatile.Read(ref _reading) != 0)
        {
            return false;
        }

        _position = 0;
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("Concurrent reads of the request body.");
        }

        try
        {
            if (_position < _copied)
            {
                var count = Math.Min(buffer.Length, _copied - _position);
                _copy.AsSpan(_position, count).CopyTo(buffer.Span);
                _position += count;
                return count;
            }

            var read = await inner.ReadAsync(buffer, cancellationToken);
            _consumed |= read > 0;
            Keep(buffer.Span[..read]);
            return read;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (_overflowed || data.IsEmpty)
        {
            return;
        }

        var needed = _copied + data.Length;
        if (needed > limit)
        {
            _overflowed = true;
            Release();
            return;
        }

        if (_copy is null || needed > _copy.Length)
        {
            // Content-Length, when given, sizes the copy once; otherwise it doubles.
            var size = (int)Math.Min(limit, Math.Max(needed, Math.Max(expectedLength ?? 0, (_copy?.Length ?? InitialBufferBytes / 2) * 2L)));
            var grown = ArrayPool<byte>.Shared.Rent(size);
            _copy?.AsSpan(0, _copied).CopyTo(grown);
            Release();
            _copy = grown;
        }

        data.CopyTo(_copy.AsSpan(_copied));
        _copied = needed;
        _position = needed;
    }

    private void Release()
    {
        if (_copy is not null)
        {
            ArrayPool<byte>.Shared.Return(_copy);
            _copy = null;
        }
    }

    protected override void Dispose(bool disposing)
    {
        // The inner stream is the server's; only the copy is ours.
        Release();
        _overflowed = _consumed = true;
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
