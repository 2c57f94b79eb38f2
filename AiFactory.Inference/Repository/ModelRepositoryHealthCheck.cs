using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiFactory.Inference.Repository;

/// <summary>Readiness: the replica takes traffic once its initial model load has finished.</summary>
public sealed class ModelRepositoryHealthCheck(ModelRepository repository) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!repository.InitialLoadDone)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the model repository is still loading"));
        }

        var unavailable = repository.Entries.Where(entry => !entry.IsReady).Select(entry => $"{entry.Name}/{entry.Version}").ToList();
        return Task.FromResult(unavailable.Count == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded($"not ready: {string.Join(", ", unavailable)}"));
    }
}
