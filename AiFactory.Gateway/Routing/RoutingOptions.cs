using System.ComponentModel.DataAnnotations;

namespace AiFactory.Gateway.Routing;

/// <summary>How the gateway spreads requests over the inference replicas and retries them.</summary>
/// <remarks>
/// Load balancing, health checks and per-cluster timeouts (<c>HttpRequest:ActivityTimeout</c>) are YARP's own
/// settings under <c>ReverseProxy:Clusters</c>, which YARP validates when it loads them.
/// </remarks>
public sealed class RoutingOptions
{
    public const string SectionName = "Routing";

    /// <summary>
    /// Attempts per request, the first included. A request whose forward fails for a transport reason (connection
    /// refused or reset before a response started) is sent again to another replica; inference is idempotent.
    /// </summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// Largest request body kept in memory so that it can be sent again (default 8 MiB). The body still streams to
    /// the first replica as it arrives; a copy is kept alongside. A body that turns out larger (or declares a larger
    /// Content-Length) is streamed without a copy and gets a single attempt.
    /// </summary>
    [Range(0, 256L * 1024 * 1024)]
    public long MaxReplayableBodyBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// Turns every destination whose host resolves to several addresses into one destination per address, after
    /// service discovery. For Kubernetes: point the gateway at a headless Service of the inference pods
    /// (<c>Routing__ResolveAllAddresses=true</c>), so that it balances and health-checks each pod instead of
    /// the Service's single virtual IP. Off by default: locally every replica already has its own address, and
    /// "localhost" would become two destinations (IPv4 and IPv6) for the same process.
    /// </summary>
    public bool ResolveAllAddresses { get; set; }

    /// <summary>
    /// How far back passive health counts transport failures (YARP's <c>TransportFailureRate</c> policy). YARP also
    /// keeps a passively failed replica out at least this long, even once its active probes succeed again: its default
    /// of 60 s would keep a restarted replica idle for a minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PassiveHealthWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often <see cref="ResolveAllAddresses"/> resolves the names again, to follow pods coming and going.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AddressRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);
}
