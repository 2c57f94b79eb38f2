using AiFactory.Gateway.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiFactory.Gateway.Metering;

/// <summary>
/// Adds the usage counted in memory to PostgreSQL every <see cref="UsageOptions.FlushInterval"/>, in batches of at most
/// <see cref="UsageOptions.BatchRows"/> rows, and once more when the gateway stops (after Kestrel has drained its
/// requests: hosted services stop after the server). Counts that cannot be written now stay in memory for the next
/// flush; a batch whose write may have committed is written again under its id (<see cref="UsageStore.AddAsync"/>);
/// a row PostgreSQL refuses is found by halving its batch, logged and set aside, and the other rows are written.
/// </summary>
public sealed class UsageFlushService(
    UsageMeter meter, UsageStore store, GatewayMetrics metrics, IOptions<UsageOptions> options, ILogger<UsageFlushService> logger)
    : BackgroundService
{
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FinalFlushRetryDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>How long batch ids are remembered: far longer than any gateway holds a batch of unknown outcome.</summary>
    private static readonly TimeSpan BatchIdRetention = TimeSpan.FromDays(7);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _flushing = new(1, 1);
    private DateTime _nextPrune = DateTime.MinValue;
    private bool _failing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // Not the stopping token: a write cut off mid-way has an unknown outcome. StopAsync waits for it instead.
                using var timeout = new CancellationTokenSource(WriteTimeout);
                if (await FlushAsync(timeout.Token) && DateTime.UtcNow >= _nextPrune)
                {
                    _nextPrune = DateTime.UtcNow + PruneInterval;
                    await PruneAsync(timeout.Token);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes what is left.
        }
    }

    /// <summary>
    /// Waits for a flush in progress, then writes what is left, trying again until <see cref="FinalFlushTimeout"/>.
    /// Safe to call more than once at a time (a host run by WebApplicationFactory is stopped twice, concurrently: by
    /// the factory and by the entry point's <c>Run</c>, which disposes it as soon as its own stop returns).
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        using var deadline = new CancellationTokenSource(FinalFlushTimeout);
        try
        {
            while (!await FlushAsync(deadline.Token))
            {
                await Task.Delay(FinalFlushRetryDelay, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            logger.LogError("The gateway stops with {Requests} requests of usage it could not write to PostgreSQL", meter.UnwrittenRequests);
        }
    }

    /// <summary>Writes what has been counted; true when everything counted before the call is written.</summary>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        // One flush at a time: one that finds nothing to take must not report success while another is still writing.
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            var batches = new Stack<UsageBatch>(meter.Take());
            if (batches.Count == 0)
            {
                return true;
            }

            var requests = batches.Sum(batch => batch.Requests);
            if (await WriteAsync(batches, cancellationToken) is not { } failure)
            {
                if (_failing)
                {
                    logger.LogInformation("Usage is written to PostgreSQL again");
                    _failing = false;
                }

                return true;
            }

            if (!_failing)
            {
                logger.LogWarning(failure, "Could not write usage ({Requests} requests) to PostgreSQL; kept in memory for the next flush", requests);
                _failing = true;
            }

            return false;
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Writes the batches on one connection; on a failure, keeps or returns what is left and returns the failure.</summary>
    private async Task<Exception?> WriteAsync(Stack<UsageBatch> batches, CancellationToken cancellationToken)
    {
        UsageBatch? writing = null;
        try
        {
            await using var connection = await store.OpenAsync(cancellationToken);
            while (batches.TryPop(out writing))
            {
                try
                {
                    await UsageStore.AddAsync(connection, writing, cancellationToken);
                }
                catch (PostgresException e) when (UsageStore.RefusedData(e))
                {
                    SplitOrSetAside(writing, e, batches);
                }
            }

            return null;
        }
        catch (Exception e)
        {
            if (writing is not null)
            {
                Hold(writing, mayBeWritten: !UsageStore.CertainlyNotWritten(e));
            }

            foreach (var batch in batches)
            {
                Hold(batch, mayBeWritten: false);
            }

            return e;
        }
    }

    private void Hold(UsageBatch batch, bool mayBeWritten)
    {
        if (batch.MayBeWritten || mayBeWritten)
        {
            meter.Keep(batch);
        }
        else
        {
            meter.Return(batch);
        }
    }

    /// <summary>
    /// A batch PostgreSQL refused was certainly not written (nor, since its data cannot be stored, ever before): its
    /// halves are written under new ids, down to the one row that is set aside.
    /// </summary>
    private void SplitOrSetAside(UsageBatch refused, PostgresException e, Stack<UsageBatch> batches)
    {
        if (refused.Rows.Count > 1)
        {
            var half = refused.Rows.Count / 2;
            batches.Push(new UsageBatch(Guid.NewGuid(), refused.Rows.Take(half).ToArray()));
            batches.Push(new UsageBatch(Guid.NewGuid(), refused.Rows.Skip(half).ToArray()));
            return;
        }

        var (key, requests) = refused.Rows[0];
        metrics.UsageSetAside(requests);
        logger.LogError(
            "PostgreSQL refused a usage row, which is set aside and not written: {Requests} requests by key {KeyId} for model {Model} version {Version} with status {Status} in the minute {Minute:o} ({SqlState}: {Reason})",
            requests, Uri.EscapeDataString(key.KeyId), Uri.EscapeDataString(key.Model), Uri.EscapeDataString(key.Version), key.Status, key.Minute,
            e.SqlState, e.MessageText);
    }

    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.PruneBatchesAsync(BatchIdRetention, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            logger.LogDebug(e, "Could not forget old usage batch ids; trying again at the next flush");
            _nextPrune = DateTime.MinValue;
        }
    }
}
