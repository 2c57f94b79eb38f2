using AiFactory.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// Health of a local server, so <c>WaitFor</c> holds dependents until it really serves (a started process is not
/// yet a listening server, and PostgreSQL still has to create the database).
/// </summary>
internal sealed class RedisPingHealthCheck(IResourceWithConnectionString redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connectionString = await redis.ConnectionStringExpression.GetValueAsync(cancellationToken);
            await using var connection = await ConnectionMultiplexer.ConnectAsync(connectionString + ",abortConnect=true,connectTimeout=2000");
            await connection.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"{redis.Name} does not answer PING", e);
        }
    }
}

/// <inheritdoc cref="RedisPingHealthCheck"/>
internal sealed class PostgresQueryHealthCheck(string name, ReferenceExpression connectionString) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var value = await connectionString.GetValueAsync(cancellationToken);
            await using var connection = new NpgsqlConnection(value + ";Timeout=2;Pooling=false");
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"{name} does not answer SELECT 1", e);
        }
    }
}

/// <summary>
/// The object store serves its bucket with the credentials the services get (and the bucket exists: the check creates
/// it where the server does not, as the services' own monitor would).
/// </summary>
internal sealed class ObjectStoreHealthCheck(string name, ReferenceExpression connectionString) : IHealthCheck, IDisposable
{
    private S3ObjectStore? _store;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            _store ??= await CreateStoreAsync(cancellationToken);
            await _store.EnsureBucketAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (StorageUnavailableException e)
        {
            return HealthCheckResult.Unhealthy($"{name} does not serve its bucket: {e.Message}");
        }
    }

    private async Task<S3ObjectStore> CreateStoreAsync(CancellationToken cancellationToken)
    {
        var options = new StorageOptions { ConnectTimeout = TimeSpan.FromSeconds(2), RequestTimeout = TimeSpan.FromSeconds(5), MaxErrorRetries = 0 };
        options.ApplyConnectionString((await connectionString.GetValueAsync(cancellationToken))!, name);
        return new S3ObjectStore(Options.Create(options));
    }

    public void Dispose() => _store?.Dispose();
}
