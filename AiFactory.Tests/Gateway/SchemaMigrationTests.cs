extern alias gateway;

using Aspire.Hosting.Testing;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SchemaMigrator = gateway::AiFactory.Gateway.Database.SchemaMigrator;

namespace AiFactory.Tests.Gateway;

/// <summary>The gateway's schema: created at start, idempotently, with several replicas starting at once.</summary>
[Collection(AppHostCollection.Name)]
public sealed class SchemaMigrationTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Four_gateways_migrating_a_fresh_database_at_once_apply_each_migration_exactly_once()
    {
        var server = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync("postgres"));
        var database = $"migrate_{Guid.NewGuid():N}";
        await using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
        {
            await admin.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync().WaitAsync(Timeout);
        }

        server.Database = database;
        var sources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(server.ConnectionString)).ToList();
        try
        {
            var applied = await Task.WhenAll(sources.Select(source =>
                new SchemaMigrator(source, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None))).WaitAsync(Timeout);

            Assert.Equal(SchemaMigrator.Migrations.Select(m => m.Name), applied.SelectMany(names => names).Order());
            Assert.Empty(await new SchemaMigrator(sources[0], NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None).WaitAsync(Timeout));
            foreach (var table in new[] { "api_keys", "usage", "schema_migrations" })
            {
                var exists = await sources[0].CreateCommand($"SELECT to_regclass('public.{table}') IS NOT NULL").ExecuteScalarAsync();
                Assert.True((bool)exists!, $"table {table} is missing");
            }
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }
}
