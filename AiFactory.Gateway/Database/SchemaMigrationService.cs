using Npgsql;

namespace AiFactory.Gateway.Database;

/// <summary>
/// Migrates the schema in the background. PostgreSQL may come up after the gateway, or be down when a gateway replica
/// starts: the gateway then starts anyway, stays live (<c>/alive</c>) and not ready (<c>/health</c>, see
/// <see cref="SchemaHealthCheck"/>), and migrates as soon as PostgreSQL answers. Only a failure that retrying cannot
/// cure (a refused password, a broken migration) stops the gateway.
/// </summary>
public sealed class SchemaMigrationService(SchemaMigrator migrator, ILogger<SchemaMigrationService> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    private volatile bool _migrated;

    public bool IsMigrated => _migrated;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextWarning = DateTime.MinValue;
        while (true)
        {
            try
            {
                await migrator.MigrateAsync(stoppingToken);
                _migrated = true;
                return;
            }
            catch (Exception e) when (e is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException or TimeoutException
                                      && !stoppingToken.IsCancellationRequested)
            {
                if (DateTime.UtcNow >= nextWarning)
                {
                    logger.LogWarning("PostgreSQL is not reachable ({Reason}); the gateway is not ready until it has migrated the schema, and keeps trying", e.Message);
                    nextWarning = DateTime.UtcNow + WarnEvery;
                }

                await Task.Delay(RetryDelay, stoppingToken);
            }
        }
    }
}
