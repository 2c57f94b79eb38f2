using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// Redis's memory bound and eviction policy, the same in every mode: the local executable, the container, and so the
/// published manifest and the cluster. Without a bound, cached answers would grow Redis until the machine or the
/// pod's memory limit stops it.
/// </summary>
/// <remarks>
/// One instance holds the response cache and the rate limits, kept apart by expiry rather than by server:
/// <c>volatile-lru</c> evicts only keys that have an expiry, every cache entry has one
/// (<c>Gateway:ResponseCache:TimeToLive</c>) and no rate-limit bucket or replica heartbeat does (the gateway's
/// <c>RedisRateLimiter</c> explains how buckets are cleaned up instead). So a Redis full of cached answers evicts the
/// least recently used answers and never a bucket, whose loss would hand its key a fresh burst. A second instance
/// would give the same guarantee at the price of another server to run, secure, watch and pay for in every mode.
/// </remarks>
public static partial class RedisMemoryPolicy
{
    public const string MaxMemoryKey = "Infrastructure:CacheMaxMemory";
    public const string DefaultMaxMemory = "256mb";
    public const string EvictionPolicy = "volatile-lru";

    /// <summary><c>redis-server</c>'s options for the bound and the policy.</summary>
    public static string[] ServerArguments(IDistributedApplicationBuilder builder) =>
        ["--maxmemory", MaxMemory(builder), "--maxmemory-policy", EvictionPolicy];

    /// <summary>
    /// Adds the options to Aspire's Redis container, which starts <c>redis-server</c> through <c>/bin/sh -c "…"</c>:
    /// they must go into that one command string (an argument after it would be the shell's <c>$0</c>).
    /// </summary>
    public static IResourceBuilder<RedisResource> WithMemoryPolicy(this IResourceBuilder<RedisResource> redis)
    {
        var options = string.Join(' ', ServerArguments(redis.ApplicationBuilder));
        // Runs after AddRedis's own callback, which writes the command.
        return redis.WithArgs(context =>
        {
            var command = context.Args.IndexOf("-c") + 1;
            if (command == 0 || command >= context.Args.Count || context.Args[command] is not string redisServer || !redisServer.StartsWith("redis-server", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Aspire's Redis container no longer starts 'redis-server' through '/bin/sh -c'; RedisMemoryPolicy must follow it.");
            }

            context.Args[command] = $"{redisServer} {options}";
        });
    }

    private static string MaxMemory(IDistributedApplicationBuilder builder)
    {
        var value = builder.Configuration[MaxMemoryKey] ?? DefaultMaxMemory;
        return MemorySize().IsMatch(value)
            ? value
            : throw new InvalidOperationException($"Configuration '{MaxMemoryKey}' is '{value}'; use a size Redis reads, such as 256mb or 2gb.");
    }

    // Redis's own units; 0 (no bound) is refused on purpose.
    [GeneratedRegex("^[1-9][0-9]*(kb|mb|gb)?$", RegexOptions.IgnoreCase)]
    private static partial Regex MemorySize();
}
