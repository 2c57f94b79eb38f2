using System.Text.Json;
using Dapper;
using Npgsql;

namespace AiFactory.Gateway.Registry;

/// <summary>One action for the audit log: who (<see cref="KeyId"/>), what, on which model and version, the state before and after, why.</summary>
public sealed record AuditEntry(string KeyId, string Action, string? Model = null, int? Version = null, object? Before = null, object? After = null, string? Reason = null);

/// <summary>An entry as stored; <see cref="Before"/> and <see cref="After"/> are JSON text.</summary>
public sealed record AuditRecord(long Id, DateTimeOffset At, string KeyId, string Action, string? Model, int? Version, string? Before, string? After, string? Reason);

/// <summary>Which entries to list, newest first: every filter is optional; <see cref="To"/> is exclusive.</summary>
public sealed record AuditQuery(string? Model, string? KeyId, string? Action, DateTimeOffset? From, DateTimeOffset? To, int Limit);

/// <summary>
/// The audit log (table <c>audit_log</c>, append-only: a trigger refuses UPDATE, DELETE and TRUNCATE). Every change
/// appends its entry in the transaction that makes the change, so there is no change without its entry.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource dataSource)
{
    /// <summary>The key id of what the gateway does on its own: the seeder, validation, automatic rollbacks.</summary>
    public const string SystemKeyId = "system";

    public const string VersionUpload = "model.version.upload";
    public const string VersionDerive = "model.version.derive";
    public const string VersionValidated = "model.version.validated";
    public const string TrafficSet = "traffic.set";
    public const string TrafficRollback = "traffic.rollback";
    public const string TrafficAutoRollback = "traffic.auto_rollback";
    public const string TrafficForced = "traffic.forced";
    public const string KeyCreate = "key.create";
    public const string KeyRevoke = "key.revoke";
    public const string ModelSeed = "model.seed";

    public static async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditEntry entry, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_log (key_id, action, model, version, before, after, reason)
            VALUES (@KeyId, @Action, @Model, @Version, @Before::jsonb, @After::jsonb, @Reason)
            """, new
        {
            entry.KeyId, entry.Action, entry.Model, entry.Version, Before = Json(entry.Before), After = Json(entry.After), entry.Reason,
        }, transaction, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition("""
            SELECT id, at, key_id AS KeyId, action, model, version, before::text AS Before, after::text AS After, reason
            FROM audit_log
            WHERE (@Model::text IS NULL OR model = @Model) AND (@KeyId::text IS NULL OR key_id = @KeyId)
              AND (@Action::text IS NULL OR action = @Action)
              AND (@From::timestamptz IS NULL OR at >= @From) AND (@To::timestamptz IS NULL OR at < @To)
            ORDER BY at DESC, id DESC
            LIMIT @Limit
            """, new { query.Model, query.KeyId, query.Action, From = query.From?.UtcDateTime, To = query.To?.UtcDateTime, query.Limit },
            cancellationToken: cancellationToken));
        return [.. rows.Select(row => new AuditRecord(row.Id, new DateTimeOffset(row.At, TimeSpan.Zero), row.KeyId, row.Action, row.Model, row.Version,
            row.Before, row.After, row.Reason))];
    }

    private static string? Json(object? value) => value is null ? null : JsonSerializer.Serialize(value, RegistryJson.Options);

    private sealed class AuditRow
    {
        public long Id { get; set; }
        public DateTime At { get; set; }
        public string KeyId { get; set; } = "";
        public string Action { get; set; } = "";
        public string? Model { get; set; }
        public int? Version { get; set; }
        public string? Before { get; set; }
        public string? After { get; set; }
        public string? Reason { get; set; }
    }
}
