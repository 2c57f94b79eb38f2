using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Metering;

/// <summary>
/// Adds the usage counted in memory to PostgreSQL every <see cref="UsageOptions.FlushInterval"/>, and once more when
/// the gateway stops (after Kestrel has drained its requests: hosted services stop after the server).
/// Counts that cannot be written stay in memory for the next attempt.
/// </summary>
public sealed class UsageFlushService(UsageMeter meter, UsageStore store, IOptions<UsageOptions> options, ILogger<UsageFlushService> logger)
    : BackgroundService
{
    private static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(10);
    private bool _failing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        using var timeout = new CancellationTokenSource(FinalFlushTimeout);
        await FlushAsync(timeout.Token);
    }

    /// <summary>Writes what has been counted; true when nothing is left unwritten.</summary>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        var counts = meter.Take();
        if (counts.Count == 0)
        {
            return true;
        }

        try
        {
            await store.AddAsync(counts, cancellationToken);
            if (_failing)
            {
                logger.LogInformation("Usage is written to PostgreSQL again");
                _failing = false;
            }

            return true;
        }
        catch (Exception e)
        {
            meter.Return(counts);
            if (!_failing || cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Could not write usage ({Requests} requests) to PostgreSQL; kept in memory for the next flush", counts.Sum(c => c.Requests));
                _failing = true;
            }

            return false;
        }
    }
}
