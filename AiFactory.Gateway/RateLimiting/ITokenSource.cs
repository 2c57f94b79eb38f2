namespace AiFactory.Gateway.RateLimiting;

/// <summary>Where a replica takes its keys' tokens from: the bucket every replica shares (<see cref="RedisRateLimiter"/>).</summary>
public interface ITokenSource
{
    /// <summary>Gives back <paramref name="unused"/> tokens and takes up to <paramref name="wanted"/>. Throws when the source cannot be asked.</summary>
    Task<TokenGrant> TakeAsync(string keyId, double requestsPerSecond, int burst, int wanted, int unused);
}
