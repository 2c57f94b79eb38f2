using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace AiFactory.Gateway.Routing;

/// <summary>
/// Service discovery first (service name → the addresses configured for it), then, when
/// <see cref="RoutingOptions.ResolveAllAddresses"/> is on, DNS (each host → one destination per address it resolves
/// to; YARP's DNS resolver). In Kubernetes the inference Service is headless, so its name resolves to the ready pods' addresses and the
/// gateway balances and health-checks every pod on its own.
/// </summary>
internal sealed partial class PerAddressDestinationResolver(
    IDestinationResolver serviceDiscovery,
    IDestinationResolver dns,
    IOptions<RoutingOptions> options,
    ILogger<PerAddressDestinationResolver> logger) : IDestinationResolver
{
    public async ValueTask<ResolvedDestinationCollection> ResolveDestinationsAsync(
        IReadOnlyDictionary<string, DestinationConfig> destinations, CancellationToken cancellationToken)
    {
        var discovered = await serviceDiscovery.ResolveDestinationsAsync(destinations, cancellationToken);
        if (!options.Value.ResolveAllAddresses)
        {
            return discovered;
        }

        try
        {
            var perAddress = await dns.ResolveDestinationsAsync(discovered.Destinations, cancellationToken);
            return new ResolvedDestinationCollection(perAddress.Destinations, Either(discovered.ChangeToken, perAddress.ChangeToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A headless Service with no ready pod has no DNS record at all. Keep the names (requests then get a
            // telling error instead of the gateway failing to load its configuration) and try again soon.
            LogResolutionFailed(logger, e);
            var retry = new CancellationChangeToken(new CancellationTokenSource(options.Value.AddressRefreshPeriod).Token);
            return new ResolvedDestinationCollection(discovered.Destinations, Either(discovered.ChangeToken, retry));
        }
    }

    private static IChangeToken? Either(IChangeToken? first, IChangeToken? second) =>
        (first, second) switch
        {
            (null, _) => second,
            (_, null) => first,
            _ => new CompositeChangeToken([first, second]),
        };

    [LoggerMessage(LogLevel.Warning, "Resolving the inference destinations to addresses failed; using the names until the next try")]
    private static partial void LogResolutionFailed(ILogger logger, Exception exception);
}
