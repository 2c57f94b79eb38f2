using AiFactory.Tests.Infrastructure;
using Npgsql;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// The gateway reaches PostgreSQL as a login role of its own that owns the gateway's tables and nothing else, so a
/// flaw in the gateway (or its stolen connection string) gives no more than those tables.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class DatabaseRoleTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly string[] GatewayTables = ["api_keys", "schema_migrations", "usage"];

    [Fact]
    public async Task The_gateway_connects_as_a_role_that_is_no_superuser_and_owns_its_tables()
    {
        await using var gateway = NpgsqlDataSource.Create(fixture.EnvironmentOf("gateway")["ConnectionStrings__aifactory"]);

        await using var role = await gateway.CreateCommand("""
            SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user
            """).ExecuteReaderAsync().WaitAsync(Timeout);
        Assert.True(await role.ReadAsync());
        var name = role.GetString(0);
        Assert.NotEqual("postgres", name);
        Assert.Equal([false, false, false, false, false], Enumerable.Range(1, 5).Select(role.GetBoolean));
        await role.DisposeAsync();

        var owners = await QueryAsync(gateway, "SELECT tablename || ' ' || tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
        Assert.Superset(GatewayTables.Select(table => $"{table} {name}").ToHashSet(), owners.ToHashSet());
        Assert.All(owners, owner => Assert.EndsWith($" {name}", owner));

        // It owns no database (not even its own: it cannot drop or rename it), and nothing outside the public schema
        // but its tables' TOAST storage.
        Assert.Equal(["0"], await QueryAsync(gateway, "SELECT count(*)::text FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)"));
        Assert.Equal(["0"], await QueryAsync(gateway, """
            SELECT count(*)::text FROM pg_class
            WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
              AND relnamespace NOT IN ('public'::regnamespace, 'pg_toast'::regnamespace)
            """));
    }

    [Theory]
    [InlineData("CREATE ROLE intruder LOGIN SUPERUSER PASSWORD 'intruder'")]
    [InlineData("SELECT rolpassword FROM pg_authid")]
    [InlineData("CREATE DATABASE intruder")]
    [InlineData("ALTER ROLE current_user SUPERUSER")]
    [InlineData("COPY api_keys TO PROGRAM 'id'")]
    public async Task The_gateways_role_is_refused_what_only_a_superuser_may_do(string sql)
    {
        await using var gateway = NpgsqlDataSource.Create(fixture.EnvironmentOf("gateway")["ConnectionStrings__aifactory"]);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => gateway.CreateCommand(sql).ExecuteNonQueryAsync().WaitAsync(Timeout));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    private static async Task<List<string>> QueryAsync(NpgsqlDataSource source, string sql)
    {
        var rows = new List<string>();
        await using var reader = await source.CreateCommand(sql).ExecuteReaderAsync().WaitAsync(Timeout);
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
