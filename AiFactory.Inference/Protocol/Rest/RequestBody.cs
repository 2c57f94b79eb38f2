using System.Buffers;
using System.Text.Json;

namespace AiFactory.Inference.Protocol.Rest;

/// <summary>
/// A request body read into a pooled buffer: the parsed JSON and the binary section, which input tensors point
/// into without copying. Dispose it once the request has been answered.
/// </summary>
public sealed class RequestBody(InferenceRequest request, byte[] buffer, int jsonLength, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public InferenceRequest Request { get; } = request;

    public ReadOnlyMemory<byte> Binary => (_buffer ?? throw new ObjectDisposedException(nameof(RequestBody))).AsMemory(jsonLength, length - jsonLength);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
