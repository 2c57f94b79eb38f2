using StackExchange.Redis;

namespace AiFactory.Gateway.Caching;

/// <summary>
/// Inference answers in Redis, keyed by model, version and a SHA-256 of the exact request (body, and the
/// <c>Inference-Header-Content-Length</c> that says where its JSON ends; <see cref="ResponseCacheStep"/> hashes it).
/// </summary>
public sealed class ResponseCache(IConnectionMultiplexer redis)
{
    private const string KeyPrefix = "aifactory:cache:";

    // Model names are URL path segments; length-prefixing keeps "a:1" + "2" apart from "a" + "1:2".
    public static string KeyOf(string model, string version, string requestHash) =>
        $"{KeyPrefix}{model.Length}:{model}:{version}:{requestHash}";

    /// <summary>
    /// The entry's bytes, or null on a miss, in pooled memory the caller disposes once the answer is written: an
    /// answer is often megabytes (a detector's map), and a fresh array per hit would be a large-object allocation and
    /// a full collection every few hits. Throws when Redis cannot be asked.
    /// </summary>
    public Task<Lease<byte>?> GetAsync(string key) => redis.GetDatabase().StringGetLeaseAsync(key);

    public Task SetAsync(string key, CachedResponse response, TimeSpan timeToLive) =>
        redis.GetDatabase().StringSetAsync(key, response.Serialize(), timeToLive);
}
