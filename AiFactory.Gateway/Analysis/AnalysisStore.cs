using System.Text.Json;
using AiFactory.Gateway.Registry;
using Dapper;
using Npgsql;

namespace AiFactory.Gateway.Analysis;

/// <summary>An analysis as stored: the version analyzed, the objective and the replica's answer (JSON text).</summary>
public sealed class AnalysisRecord
{
    public long Id { get; set; }
    public string Model { get; set; } = "";
    public int Version { get; set; }
    public string Objective { get; set; } = "{}";
    public string Result { get; set; } = "{}";
    public string CreatedBy { get; set; } = "";
}

/// <summary>The analyzer's runs (migration 0014_analyses.sql), each stored with its audit entry in one transaction.</summary>
public sealed class AnalysisStore(NpgsqlDataSource dataSource)
{
    /// <summary>The audit action of an analysis; applying one is audited as the derived version it makes (<c>model.version.derive</c>).</summary>
    public const string AuditAction = "model.version.analyze";

    /// <summary>Stores the analysis and audits it (objective, answer, recommended changes); returns its id.</summary>
    public async Task<long> AddAsync(string model, int version, string objective, string result, string keyId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO model_analyses (model, version, objective, result, created_by)
            VALUES (@model, @version, @objective::jsonb, @result::jsonb, @keyId) RETURNING id
            """, new { model, version, objective, result, keyId }, transaction, cancellationToken: cancellationToken));
        using var answer = JsonDocument.Parse(result);
        using var asked = JsonDocument.Parse(objective);
        var recommendation = answer.RootElement.TryGetProperty("recommendation", out var found) && found.ValueKind == JsonValueKind.Object
            ? found.GetProperty("changes").Clone()
            : (JsonElement?)null;
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(keyId, AuditAction, model, version, After: new
        {
            Analysis = id,
            Objective = asked.RootElement,
            Answer = answer.RootElement.GetProperty("answer").GetString(),
            RecommendedChanges = recommendation,
        }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    public async Task<AnalysisRecord?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AnalysisRecord>(new CommandDefinition("""
            SELECT id, model, version, objective::text AS Objective, result::text AS Result, created_by AS CreatedBy
            FROM model_analyses WHERE id = @id
            """, new { id }, cancellationToken: cancellationToken));
    }
}
