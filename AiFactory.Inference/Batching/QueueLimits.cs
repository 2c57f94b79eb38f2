using AiFactory.Inference.Protocol;

namespace AiFactory.Inference.Batching;

/// <summary>
/// What a batcher's queue may hold at once: <c>max_queue_size</c> items (0: no limit) and <c>max_queue_bytes</c> bytes
/// of input. Requests that find it full are refused at once (503), so a flood waits in no queue and holds no memory;
/// the byte bound keeps a few huge requests from filling the replica's memory where the item bound would let them.
/// </summary>
public sealed class QueueLimits(string model, string version, int maxItems, long maxBytes)
{
    private readonly Lock _lock = new();
    private long _items;
    private long _bytes;

    public long Items
    {
        get
        {
            lock (_lock)
            {
                return _items;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Takes room for a request, or refuses it: 400 when it could never fit, 503 while the queue is full.</summary>
    public void Enter(int items, long bytes)
    {
        if (bytes > maxBytes)
        {
            throw InferenceException.BadRequest(
                $"the request's inputs hold {bytes} bytes, more than max_queue_bytes ({maxBytes}) of model '{model}'");
        }

        lock (_lock)
        {
            if (maxItems > 0 && _items + items > maxItems)
            {
                throw InferenceException.Unavailable(
                    $"model '{model}' version {version} is overloaded: its queue holds {maxItems} items (max_queue_size)");
            }

            if (_bytes + bytes > maxBytes)
            {
                throw InferenceException.Unavailable(
                    $"model '{model}' version {version} is overloaded: its queue holds {_bytes} of at most {maxBytes} bytes (max_queue_bytes)");
            }

            _items += items;
            _bytes += bytes;
        }
    }

    /// <summary>Gives back the room <see cref="Enter"/> took.</summary>
    public void Leave(int items, long bytes)
    {
        lock (_lock)
        {
            _items -= items;
            _bytes -= bytes;
        }
    }
}
