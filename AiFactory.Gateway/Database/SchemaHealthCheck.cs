using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AiFactory.Gateway.Database;

/// <summary>Readiness: a gateway serves only once its schema is migrated (liveness does not ask).</summary>
public sealed class SchemaHealthCheck(SchemaMigrationService migration) : IHealthCheck
{
    public const string Name = "database-schema";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(migration.IsMigrated
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("the database schema is not migrated yet: PostgreSQL has not answered"));
}
