namespace AiFactory.Gateway.Routing;

/// <summary>
/// The request-body bytes the gateway keeps in memory at once, over every request in flight
/// (<see cref="GatewayOptions.MaxBufferedBodyBytes"/>): without it, each request's copy is bounded but their sum is
/// not. A body that finds no room is not refused; it streams on without a copy (not cached, one attempt).
/// </summary>
public sealed class RequestBufferBudget(long capacity)
{
    private long _used;

    /// <summary>Bytes taken now.</summary>
    public long Used => Volatile.Read(ref _used);

    public bool TryTake(long bytes)
    {
        if (Interlocked.Add(ref _used, bytes) <= capacity)
        {
            return true;
        }

        Interlocked.Add(ref _used, -bytes);
        return false;
    }

    public void Return(long bytes) => Interlocked.Add(ref _used, -bytes);
}
