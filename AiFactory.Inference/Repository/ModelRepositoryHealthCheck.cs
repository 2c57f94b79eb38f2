using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiFactory.Inference.Repository;

/// <summary>
/// Readiness for Kubernetes (<c>/health</c>): the replica takes traffic once its initial model load has finished.
/// A model that failed makes it Degraded, not Unhealthy, so the models that did load keep serving.
/// </summary>
public sealed class ModelRepositoryHealthCheck(ModelRepository repository) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !repository.InitialLoadDone ? HealthCheckResult.Unhealthy("the model repository is still loading")
            : repository.IsServerReady(out var reason) ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded(reason));
}
