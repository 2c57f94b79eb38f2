using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiFactory.Inference.Repository;

/// <summary>
/// Readiness for Kubernetes and the gateway (<c>/health</c>): the replica takes traffic once its initial model load has
/// finished. A model that failed or was unloaded makes it Degraded, not Unhealthy, which the health endpoint still
/// answers with 200 (ASP.NET Core's default status codes), so the models that did load keep serving. The overlays'
/// startup and readiness probes (manifests/overlays/common/inference.yaml) and the gateway's active health checks
/// probe this; <c>/v2/health/ready</c> stays the protocol's strict readiness, every model ready.
/// </summary>
public sealed class ModelRepositoryHealthCheck(ModelRepository repository) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !repository.InitialLoadDone ? HealthCheckResult.Unhealthy("the model repository is still loading")
            : repository.IsServerReady(out var reason) ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded(reason));
}
