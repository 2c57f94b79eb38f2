using System.Buffers;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// Request bytes read into memory rented from the shared pool. The buffer starts small and doubles only as bytes
/// actually arrive, never sized in advance from what the client declares; it goes back to the pool when the request
/// ends (<see cref="HttpResponse.RegisterForDispose"/>).
/// </summary>
internal sealed class PooledRequestBody : IDisposable
{
    private const int InitialBytes = 16 * 1024;

    private byte[]? _bytes = ArrayPool<byte>.Shared.Rent(InitialBytes);

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => Bytes.AsSpan(0, Length);

    private byte[] Bytes => _bytes ?? throw new ObjectDisposedException(nameof(PooledRequestBody));

    /// <summary>Reads from <paramref name="source"/> until <paramref name="length"/> bytes are held or it ends.</summary>
    public async Task ReadUpToAsync(Stream source, int length, CancellationToken cancellationToken)
    {
        while (Length < length)
        {
            if (Length == Bytes.Length)
            {
                Grow(Math.Min(length, Bytes.Length * 2));
            }

            var read = await source.ReadAsync(Bytes.AsMemory(Length, Math.Min(Bytes.Length, length) - Length), cancellationToken);
            if (read == 0)
            {
                return;
            }

            Length += read;
        }
    }

    /// <summary>The bytes held, to forward: a read-only view of the same memory, valid until the request ends.</summary>
    public Stream AsStream() => new MemoryStream(Bytes, 0, Length, writable: false);

    private void Grow(int size)
    {
        var grown = ArrayPool<byte>.Shared.Rent(size);
        Span.CopyTo(grown);
        ArrayPool<byte>.Shared.Return(Bytes);
        _bytes = grown;
    }

    public void Dispose()
    {
        if (_bytes is not null)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = null;
        }
    }
}
