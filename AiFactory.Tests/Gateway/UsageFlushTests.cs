extern alias gateway;

using Aspire.Hosting.Testing;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using GatewayMetrics = gateway::AiFactory.Gateway.Telemetry.GatewayMetrics;
using SchemaMigrator = gateway::AiFactory.Gateway.Database.SchemaMigrator;
using UsageBatch = gateway::AiFactory.Gateway.Metering.UsageBatch;
using UsageFlushService = gateway::AiFactory.Gateway.Metering.UsageFlushService;
using UsageMeter = gateway::AiFactory.Gateway.Metering.UsageMeter;
using UsageOptions = gateway::AiFactory.Gateway.Metering.UsageOptions;
using UsageStore = gateway::AiFactory.Gateway.Metering.UsageStore;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// How usage is written, against the AppHost's PostgreSQL (a database of each test's own): in bounded batches, each
/// under an id that makes writing it again harmless, with a row PostgreSQL refuses set aside instead of blocking.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class UsageFlushTests(AppHostFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly RecordingLoggerProvider _log = new();
    private NpgsqlConnectionStringBuilder _connection = null!;
    private NpgsqlDataSource _database = null!;

    public async Task InitializeAsync()
    {
        _connection = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync("postgres"));
        var database = $"usage_{Guid.NewGuid():N}";
        await using (var server = NpgsqlDataSource.Create(_connection.ConnectionString))
        {
            await server.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync().WaitAsync(Timeout);
        }

        _connection.Database = database;
        _database = NpgsqlDataSource.Create(_connection.ConnectionString);
        await new SchemaMigrator(_database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None).WaitAsync(Timeout);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_flush_writes_in_batches_of_at_most_batch_rows_each_recorded_under_its_own_id()
    {
        var (meter, flush) = Create(_database, batchRows: 10);
        var expected = RecordRows(meter, rows: 25);

        Assert.True(await flush.FlushAsync(CancellationToken.None).WaitAsync(Timeout));

        Assert.Equal(expected, await UsageAsync());
        Assert.Equal(3L, await ScalarAsync("SELECT count(*) FROM usage_batches"));
    }

    [Fact]
    public async Task A_row_postgresql_refuses_is_set_aside_and_logged_and_every_other_row_of_its_batch_is_written()
    {
        var (meter, flush) = Create(_database, batchRows: 8);
        var expected = RecordRows(meter, rows: 15);
        // Key ids come from the key store, so the meter takes them as they are: this one PostgreSQL cannot store.
        meter.Record("bad\0key", "text-direction", "1", 200);

        Assert.True(await flush.FlushAsync(CancellationToken.None).WaitAsync(Timeout));

        Assert.Equal(expected, await UsageAsync());
        Assert.Contains("Error AiFactory.Gateway.Metering.UsageFlushService: PostgreSQL refused a usage row, which is set aside and not written: 1 requests by key bad%00key for model text-direction version 1 with status 200", _log.ToString());
        // Set aside means gone from the backlog: the next flush has nothing to retry.
        Assert.True(await flush.FlushAsync(CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(expected, await UsageAsync());
    }

    [Fact]
    public async Task A_batch_written_again_under_its_id_adds_nothing()
    {
        var batch = new UsageBatch(Guid.NewGuid(), [(new(Minute(), "again", "text-direction", "1", 200), 7L)]);
        await using var connection = await _database.OpenConnectionAsync();

        Assert.True(await UsageStore.AddAsync(connection, batch, CancellationToken.None).WaitAsync(Timeout));
        Assert.False(await UsageStore.AddAsync(connection, batch, CancellationToken.None).WaitAsync(Timeout));

        Assert.Equal(new Dictionary<string, long> { ["again"] = 7 }, await UsageAsync());
    }

    [Fact]
    public async Task A_write_whose_answer_is_lost_after_its_commit_is_written_again_under_its_id_and_counted_once()
    {
        await using var proxy = AnswerLosingProxy.Start(_connection.Host!, _connection.Port);
        await using var throughProxy = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_connection.ConnectionString)
        {
            Host = "127.0.0.1",
            Port = proxy.Port,
        }.ConnectionString);
        var (meter, flush) = Create(throughProxy, batchRows: 100);
        var expected = RecordRows(meter, rows: 5);

        proxy.LoseNextAnswerTo("usage_batches");
        Assert.False(await flush.FlushAsync(CancellationToken.None).WaitAsync(Timeout));

        // PostgreSQL committed the batch; the gateway only saw its connection break.
        Assert.True(proxy.Lost);
        Assert.Equal(expected, await UsageAsync());
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM usage_batches"));

        Assert.True(await flush.FlushAsync(CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(expected, await UsageAsync());
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM usage_batches"));
    }

    private (UsageMeter Meter, UsageFlushService Flush) Create(NpgsqlDataSource database, int batchRows)
    {
        var options = Options.Create(new UsageOptions { BatchRows = batchRows });
        var metrics = new GatewayMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
        var meter = new UsageMeter(TimeProvider.System, options, metrics);
        var logger = LoggerFactory.Create(logging => logging.AddProvider(_log)).CreateLogger<UsageFlushService>();
        return (meter, new UsageFlushService(meter, new UsageStore(database), metrics, options, logger));
    }

    /// <summary>Records <paramref name="rows"/> rows, key <c>key-i</c> with i + 1 requests; returns requests per key.</summary>
    private static Dictionary<string, long> RecordRows(UsageMeter meter, int rows)
    {
        var expected = new Dictionary<string, long>();
        for (var i = 0; i < rows; i++)
        {
            for (var request = 0; request <= i; request++)
            {
                meter.Record($"key-{i:D2}", "text-direction", "1", 200);
            }

            expected[$"key-{i:D2}"] = i + 1;
        }

        return expected;
    }

    private async Task<Dictionary<string, long>> UsageAsync()
    {
        var usage = new Dictionary<string, long>();
        await using var command = _database.CreateCommand("SELECT key_id, sum(requests)::bigint FROM usage GROUP BY key_id");
        await using var reader = await command.ExecuteReaderAsync().WaitAsync(Timeout);
        while (await reader.ReadAsync())
        {
            usage[reader.GetString(0)] = reader.GetInt64(1);
        }

        return usage;
    }

    private async Task<long> ScalarAsync(string sql) => (long)(await _database.CreateCommand(sql).ExecuteScalarAsync().WaitAsync(Timeout))!;

    private static DateTime Minute()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
    }
}
