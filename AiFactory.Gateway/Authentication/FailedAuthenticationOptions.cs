using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Authentication;

/// <summary>How many failed authentications a client address may cause before it is throttled (see <see cref="FailedAuthenticationThrottle"/>).</summary>
public sealed class FailedAuthenticationOptions
{
    public const string SectionName = "Gateway:FailedAuthentications";

    /// <summary>Failures an address may cause at once before it is throttled.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 20;

    /// <summary>Failures per minute an address may go on causing once its burst is spent.</summary>
    [Range(0.01, 1_000_000)]
    public double PerMinute { get; set; } = 60;

    /// <summary>Addresses remembered at most; the one that failed least recently is forgotten first.</summary>
    [Range(1, 10_000_000)]
    public int TrackedAddresses { get; set; } = 10_000;
}
