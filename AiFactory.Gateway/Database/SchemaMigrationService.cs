using Npgsql;

namespace AiFactory.Gateway.Database;

/// <summary>
/// Migrates the schema before the gateway serves. PostgreSQL may come up after the gateway (a cluster starts
/// everything at once), so connection failures are retried for a while before the gateway gives up and exits.
/// </summary>
public sealed class SchemaMigrationService(SchemaMigrator migrator, ILogger<SchemaMigrationService> logger) : IHostedService
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        while (true)
        {
            try
            {
                await migrator.MigrateAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException
                                      && DateTime.UtcNow < deadline)
            {
                logger.LogWarning("PostgreSQL is not reachable yet ({Reason}); retrying the schema migration", e.Message);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
