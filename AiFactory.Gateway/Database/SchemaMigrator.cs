using Npgsql;

namespace AiFactory.Gateway.Database;

/// <summary>
/// Brings the database schema up to date at start: applies, in order, every embedded
/// <c>Database/Migrations/NNNN_*.sql</c> not yet recorded in <c>schema_migrations</c>.
/// </summary>
/// <remarks>
/// Several gateway replicas start at once in a cluster. Each one migrates inside one transaction that first takes a
/// transaction-scoped advisory lock, so exactly one applies a migration and the others then find it recorded.
/// </remarks>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    // Any constant both gateways agree on; it names this schema's migration lock.
    private const long LockId = 0x41_69_46_61_63_74_6F_72; // "AiFactor"

    public static IReadOnlyList<(string Name, string Sql)> Migrations { get; } = LoadMigrations();

    /// <summary>Applies the pending migrations; returns the names of those this call applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({LockId})", cancellationToken);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name       text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, cancellationToken);

        var applied = new HashSet<string>();
        await using (var command = new NpgsqlCommand("SELECT name FROM schema_migrations", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetString(0));
            }
        }

        var appliedNow = new List<string>();
        foreach (var (name, sql) in Migrations.Where(migration => !applied.Contains(migration.Name)))
        {
            await ExecuteAsync(connection, sql, cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (name) VALUES ($1)", connection)
            {
                Parameters = { new() { Value = name } },
            };
            await record.ExecuteNonQueryAsync(cancellationToken);
            appliedNow.Add(name);
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var name in appliedNow)
        {
            logger.LogInformation("Applied database migration {Migration}", name);
        }

        return appliedNow;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<(string Name, string Sql)> LoadMigrations()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        const string prefix = "AiFactory.Gateway.Database.Migrations.";
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
                return (name[prefix.Length..^".sql".Length], reader.ReadToEnd());
            })
            .ToList();
    }
}
