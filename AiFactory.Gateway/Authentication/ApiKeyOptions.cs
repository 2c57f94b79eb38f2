using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Authentication;

public sealed class ApiKeyOptions
{
    public const string SectionName = "Gateway:ApiKeys";

    /// <summary>
    /// A key with every scope that exists only in configuration (the AppHost's secret parameter
    /// <c>gateway-admin-key</c>), so the first real keys can be created. Empty: none.
    /// </summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>How long a gateway trusts a key it looked up before reading it again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long past <see cref="CacheDuration"/> a gateway keeps trusting a key it looked up while the key store cannot
    /// be read (stale-if-error), so callers already seen keep working through a database outage. Zero: never.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan StaleIfError { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often each gateway asks PostgreSQL for revocations; bounds how long a revoked key still works.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan RevocationPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Keys (that the store has) a gateway remembers at most; the least recently used is forgotten first.</summary>
    [Range(1, 10_000_000)]
    public int CacheCapacity { get; set; } = 10_000;

    /// <summary>
    /// Ids the store does not have that a gateway remembers at most (for <see cref="CacheDuration"/>), so a repeated
    /// unknown id costs no store lookup. Kept apart from the real keys, which a flood of made-up ids cannot push out.
    /// </summary>
    [Range(1, 10_000_000)]
    public int UnknownKeyCacheCapacity { get; set; } = 10_000;
}
