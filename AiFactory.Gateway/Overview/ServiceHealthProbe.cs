using Npgsql;
using StackExchange.Redis;

namespace AiFactory.Gateway.Overview;

/// <summary>Whether the gateway reaches what it depends on besides inference: Redis and PostgreSQL, each asked once.</summary>
public sealed class ServiceHealthProbe(IConnectionMultiplexer redis, NpgsqlDataSource database)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<IReadOnlyList<ServiceHealth>> ReadAsync(CancellationToken cancellationToken) =>
        [new ServiceHealth("gateway", true, $"answering on {Environment.MachineName}"),
         await CheckAsync("cache", async token => $"Redis answered in {(await redis.GetDatabase().PingAsync()).TotalMilliseconds:0.#} ms", cancellationToken),
         await CheckAsync("database", async token =>
         {
             await using var command = database.CreateCommand("SELECT 1");
             await command.ExecuteScalarAsync(token);
             return "PostgreSQL answered";
         }, cancellationToken)];

    private static async Task<ServiceHealth> CheckAsync(string name, Func<CancellationToken, Task<string>> check, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(Timeout);
        try
        {
            return new ServiceHealth(name, true, await check(timer.Token).WaitAsync(timer.Token));
        }
        catch (Exception e) when (e is RedisException or NpgsqlException or TimeoutException
                                  || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new ServiceHealth(name, false, e is OperationCanceledException ? $"did not answer within {Timeout.TotalSeconds:0} s" : e.Message);
        }
    }
}
