using Microsoft.Extensions.Logging;
using Npgsql;

namespace AiFactory.Registry.Client;

/// <summary>
/// Listens on <see cref="RegistryChannel"/> over one dedicated connection and reports each change, reconnecting with
/// backoff whenever the connection is lost. A notification sent while no connection listened is lost for good, so
/// each (re)connection is reported too: the caller then reads everything again. Callers keep a poll as well, for
/// the changes a connection that died silently never delivered.
/// </summary>
public sealed partial class RegistryChangeListener(NpgsqlDataSource dataSource, TimeProvider time, ILogger<RegistryChangeListener> logger)
{
    // How long the connection may stay silent before it is checked with a query: a dead peer shows only then.
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled: <paramref name="connected"/> after every LISTEN
    /// that succeeded, <paramref name="changed"/> with each notification's payload (the model's name).
    /// </summary>
    public async Task RunAsync(Action connected, Action<string> changed, CancellationToken cancellationToken)
    {
        var delay = FirstRetryDelay;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, notification) => changed(notification.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {RegistryChannel.Name}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                if (failures > 0)
                {
                    LogReconnected(logger, failures);
                }

                (delay, failures) = (FirstRetryDelay, 0);
                connected();
                while (true)
                {
                    if (!await connection.WaitAsync(KeepAliveInterval, cancellationToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(cancellationToken);
                    }
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                if (failures++ == 0)
                {
                    LogLost(logger, delay.TotalSeconds, e);
                }

                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Listening for registry changes failed; retrying every {Seconds} s or more (changes are polled meanwhile)")]
    private static partial void LogLost(ILogger logger, double seconds, Exception exception);

    [LoggerMessage(LogLevel.Information, "Listening for registry changes again after {Failures} failed attempts")]
    private static partial void LogReconnected(ILogger logger, int failures);
}
