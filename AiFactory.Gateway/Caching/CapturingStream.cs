namespace AiFactory.Gateway.Caching;

/// <summary>
/// Passes a response body through to the client and keeps a copy of it, up to a limit: past the limit the copy is
/// dropped (the answer is too large to cache) and the body still flows.
/// </summary>
public sealed class CapturingStream(Stream inner, long limit) : Stream
{
    private MemoryStream? _copy = new();

    /// <summary>The whole body, or null when it outgrew the limit.</summary>
    // The null is typed: untyped, it converts (as a null array) to the other side's type, an empty Memory, not null.
    public ReadOnlyMemory<byte>? Captured => _copy is null ? (ReadOnlyMemory<byte>?)null : _copy.GetBuffer().AsMemory(0, (int)_copy.Length);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Keep(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Keep(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (_copy is null)
        {
            return;
        }

        if (_copy.Length + data.Length > limit)
        {
            _copy = null;
            return;
        }

        _copy.Write(data);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
