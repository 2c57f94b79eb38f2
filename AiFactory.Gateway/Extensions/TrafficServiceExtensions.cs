using AiFactory.Gateway.Canary;
using AiFactory.Gateway.Registry;
using AiFactory.Gateway.Traffic;
using AiFactory.Registry.Client;

namespace AiFactory.Gateway.Extensions;

public static class TrafficServiceExtensions
{
    /// <summary>
    /// Registers the traffic split: the policies in force (read from the registry, followed through its change
    /// notifications), the observed state of the replicas, the split step, per-version metrics and series (the console's canary charts) and the automatic rollback.
    /// </summary>
    public static IServiceCollection AddTrafficSplit(this IServiceCollection services)
    {
        services.AddValidatedOptions<TrafficOptions>(TrafficOptions.SectionName)
            .AddValidatedOptions<AutoRollbackOptions>(AutoRollbackOptions.SectionName);
        services.AddSingleton<RegistryChangeListener>()
            .AddHostedSingleton<TrafficPolicies>()
            .AddHostedSingleton<ReplicaStateMonitor>()
            .AddSingleton<ObservedTrafficView>()
            .AddSingleton<IObservedTraffic>(provider => provider.GetRequiredService<ObservedTrafficView>())
            .AddSingleton<RolloutWindow>()
            .AddSingleton<RolloutMetrics>()
            .AddSingleton<CanarySeries>()
            .AddHostedService<CanarySampler>()
            .AddHostedSingleton<AutoRollbackService>()
            .AddSingleton<TrafficSplitStep>()
            .AddHostedService<TrafficWeightsGauge>();
        services.AddHealthChecks().AddCheck<TrafficHealthCheck>(TrafficHealthCheck.Name);
        return services;
    }
}
