using System.Buffers;
using System.Security.Cryptography;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// The request body as it passes through the gateway, with what was read kept in one pooled copy: the response cache
/// hashes it, the forwarder sends it and a retry sends it again, all from that copy. The copy grows with the bytes
/// that arrive, never to a size a client declares, and stays within a limit per request and within the gateway-wide
/// <see cref="RequestBufferBudget"/>. Past either, the copy is dropped and the body streams on without one; it can
/// then no longer be sent again.
/// </summary>
internal sealed class BufferedRequestBody(Stream inner, long limit, RequestBufferBudget budget) : Stream
{
    private const int InitialBufferBytes = 16 * 1024;

    private byte[]? _copy;
    private int _copied;
    private int _position;
    private bool _overflowed;
    private bool _consumed;
    private int _reading;

    /// <summary>
    /// The request's body, wrapped once: the first caller sets the limit of the copy, later callers share it (the
    /// response cache's copy serves the retry too). Disposed, and its memory returned, with the response.
    /// </summary>
    public static BufferedRequestBody Of(HttpContext context, long limit)
    {
        if (context.Request.Body is BufferedRequestBody shared)
        {
            return shared;
        }

        var body = new BufferedRequestBody(context.Request.Body, limit, context.RequestServices.GetRequiredService<RequestBufferBudget>());
        context.Request.Body = body;
        context.Response.RegisterForDispose(body);
        return body;
    }

    /// <summary>What the copy holds: the whole body once <see cref="BufferAsync"/> returned true.</summary>
    public ReadOnlySpan<byte> Buffered => _copy.AsSpan(0, _copied);

    /// <summary>
    /// Reads the body, whose <c>Content-Length</c> is <paramref name="length"/>, into the copy before any of it is
    /// forwarded. True when the whole body is in the copy; false when it did not fit in the limit or the budget. Either
    /// way the body is then read from its first byte: the copy first, then whatever is still to arrive.
    /// <paramref name="hash"/>, when given, is fed every byte of the body in order as it arrives, so hashing a large
    /// body overlaps with receiving it instead of following it; it is complete only when this returns true.
    /// </summary>
    public async Task<bool> BufferAsync(long length, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        if (length > limit)
        {
            return false;
        }

        hash?.AppendData(Buffered);
        while (_copied < length)
        {
            if (!TryMakeRoom(_copied + 1))
            {
                return false;
            }

            var read = await inner.ReadAsync(_copy.AsMemory(_copied, (int)Math.Min(_copy!.Length, length) - _copied), cancellationToken);
            if (read == 0)
            {
                throw new BadHttpRequestException("the request body ended before its Content-Length");
            }

            hash?.AppendData(_copy.AsSpan(_copied, read));
            _copied += read;
            _consumed = true;
        }

        return true;
    }

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

    /// <summary>Adds bytes just handed out to the copy (every byte before them has been handed out too).</summary>
    private void Keep(ReadOnlySpan<byte> data)
    {
        if (_overflowed || data.IsEmpty)
        {
            return;
        }

        if (!TryMakeRoom(_copied + data.Length))
        {
            _overflowed = true;
            Release();
            return;
        }

        data.CopyTo(_copy.AsSpan(_copied));
        _copied += data.Length;
        _position = _copied;
    }

    /// <summary>
    /// Makes the copy hold at least <paramref name="needed"/> bytes, doubling it from <see cref="InitialBufferBytes"/>:
    /// false past the limit, or when the budget has no room for the larger copy.
    /// </summary>
    private bool TryMakeRoom(long needed)
    {
        if (needed > limit)
        {
            return false;
        }

        if (_copy is not null && needed <= _copy.Length)
        {
            return true;
        }

        var size = Math.Min(limit, Math.Max(needed, Math.Max(InitialBufferBytes, (_copy?.Length ?? 0) * 2L)));
        var grown = ArrayPool<byte>.Shared.Rent((int)size);
        if (!budget.TryTake(grown.Length))
        {
            ArrayPool<byte>.Shared.Return(grown);
            return false;
        }

        _copy?.AsSpan(0, _copied).CopyTo(grown);
        Release();
        _copy = grown;
        return true;
    }

    private void Release()
    {
        if (_copy is not null)
        {
            budget.Return(_copy.Length);
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
