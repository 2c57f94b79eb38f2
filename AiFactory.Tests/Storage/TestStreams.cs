namespace AiFactory.Tests.Storage;

/// <summary>
/// A stream of <paramref name="length"/> pseudo-random bytes made as they are read (no buffer of its size exists),
/// which counts what was read: a client sending a large model, or one whose body never ends.
/// </summary>
internal sealed class GeneratedStream(long length, int seed = 1) : Stream
{
    private readonly Random _random = new(seed);

    public long BytesRead { get; private set; }

    public static long Endless => long.MaxValue;

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - BytesRead);
        _random.NextBytes(buffer[..count]);
        BytesRead += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
