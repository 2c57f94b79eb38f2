using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// Readiness, once at start: a gateway routes only after it has read the traffic policies and asked every replica
/// what it serves, so its first requests already go to the versions the policies pick. Later outages of PostgreSQL
/// or of replicas do not take it out (it routes by what it read last).
/// </summary>
public sealed class TrafficHealthCheck(TrafficPolicies policies, ReplicaStateMonitor replicas) : IHealthCheck
{
    public const string Name = "traffic";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !policies.HasLoaded ? HealthCheckResult.Unhealthy("the traffic policies have not been read yet")
            : !replicas.HasObserved ? HealthCheckResult.Unhealthy("the inference replicas have not been asked what they serve yet")
            : HealthCheckResult.Healthy());
}
