using AiFactory.Gateway.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace AiFactory.Gateway.Extensions;

public static class InferenceRoutingExtensions
{
    /// <summary>
    /// Registers YARP with the routes and clusters of the <c>ReverseProxy</c> section, destinations resolved through
    /// service discovery (and DNS, see <see cref="RoutingOptions.ResolveAllAddresses"/>), and the routing options.
    /// </summary>
    public static IHostApplicationBuilder AddInferenceRouting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RoutingOptions>()
            .BindConfiguration(RoutingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<TransportFailureRateHealthPolicyOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<RoutingOptions>>((passive, routing) => passive.DetectionWindowSize = routing.Value.PassiveHealthWindow);
        builder.Services.AddOptions<DnsDestinationResolverOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<RoutingOptions>>((dns, routing) => dns.RefreshPeriod = routing.Value.AddressRefreshPeriod);

        // Destinations name services ("http://inference", "http://_grpc.inference"); service discovery turns each
        // into every replica's address, and YARP's DNS resolver each host into its addresses. Both resolvers are
        // internal to their packages: take them from their registrations and chain them.
        var proxy = builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        var serviceDiscovery = TakeResolver(builder.Services, () => proxy.AddServiceDiscoveryDestinationResolver());
        var dns = TakeResolver(builder.Services, () => proxy.AddDnsDestinationResolver());
        builder.Services.AddSingleton<IDestinationResolver>(services => ActivatorUtilities.CreateInstance<PerAddressDestinationResolver>(services,
            Create(services, serviceDiscovery), Create(services, dns)));

        return builder;
    }

    /// <summary>Runs <paramref name="register"/> and takes back the resolver registration it added.</summary>
    private static ServiceDescriptor TakeResolver(IServiceCollection services, Action register)
    {
        register();
        var descriptor = services.Last(service => service.ServiceType == typeof(IDestinationResolver));
        services.Remove(descriptor);
        return descriptor;
    }

    private static IDestinationResolver Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        (IDestinationResolver)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
