using System.Net;

namespace AiFactory.Cli.Upload;

/// <summary>
/// A <see cref="StreamContent"/> that reports how many bytes it has written to the connection: the count comes from
/// the writes that completed on the request stream, not from what was read from the file.
/// </summary>
internal sealed class ProgressStreamContent(Stream content, IProgress<long> progress) : StreamContent(content, BufferSize)
{
    // Large enough that a fast link is not held back by small writes; StreamContent rents it for the copy.
    private const int BufferSize = 256 * 1024;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        base.SerializeToStreamAsync(new CountingStream(stream, progress), context);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        base.SerializeToStreamAsync(new CountingStream(stream, progress), context, cancellationToken);

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        base.SerializeToStream(new CountingStream(stream, progress), context, cancellationToken);

    /// <summary>Writes through to the request stream and reports the running total after each write.</summary>
    private sealed class CountingStream(Stream inner, IProgress<long> progress) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Written(buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Written(buffer.Length);
        }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        private void Written(int count)
        {
            _written += count;
            progress.Report(_written);
        }
    }
}
