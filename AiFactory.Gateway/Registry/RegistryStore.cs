using System.Text.Json;
using AiFactory.Gateway.Errors;
using Dapper;
using Npgsql;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// The model registry in PostgreSQL (migration 0010_registry.sql): models, their immutable versions, validation
/// reports and traffic policies. Every change takes the model's row lock first, so changes to one model (uploads
/// numbering their versions, traffic changes, rollbacks) happen one after the other, appends its audit entry in the
/// same transaction, and, when it changes what replicas should load, sends <c>NOTIFY aifactory_registry, '&lt;model&gt;'</c>
/// in that transaction too (delivered at commit).
/// </summary>
public sealed class RegistryStore(NpgsqlDataSource dataSource)
{
    /// <summary>The PostgreSQL notification channel replicas and gateways LISTEN on; the payload is the model's name.</summary>
    public const string Channel = "aifactory_registry";

    /// <summary>Longest reason a traffic change or rollback may give.</summary>
    public const int MaxReasonLength = 1000;

    private const string VersionColumns = """
        v.model, v.version, v.sha256, v.size_bytes AS SizeBytes, v.storage_key AS StorageKey, v.config::text AS Config,
        v.signature::text AS Signature, v.opset, v.producer, v.parent_version AS ParentVersion, v.transform::text AS Transform,
        v.state, v.state_reason AS StateReason, v.created_at AS CreatedAt, v.created_by AS CreatedBy, r.report::text AS Report,
        v.labelled_set::text AS LabelledSet
        FROM model_versions v LEFT JOIN validation_reports r ON r.model = v.model AND r.version = v.version
        """;

    private const string PolicyColumns = """
        p.id, p.model, p.weights::text AS Weights, p.parent_id AS ParentId, p.kind, p.reason, p.created_by AS CreatedBy, p.created_at AS CreatedAt
        """;

    /// <summary>What an upload adds: <see cref="Version"/> null takes the next number; the seeder keeps its folder's.</summary>
    /// <summary>A version made from <see cref="Parent"/>; <see cref="Transform"/> is the lineage as a JSON object (what was done, with which options).</summary>
    public sealed record DerivedVersion(string Model, int Parent, string Sha256, long SizeBytes, string StorageKey, string Config, string Transform, string CreatedBy);

    /// <summary><see cref="LabelledSet"/>: the version's own labelled set as its registry JSON (<see cref="LabelledSetRecord"/>), if uploaded with it.</summary>
    public sealed record NewVersion(string Model, int? Version, string Sha256, long SizeBytes, string StorageKey, string Config, string CreatedBy,
        string? LabelledSet = null);

    public async Task<IReadOnlyList<ModelRecord>> ListModelsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var models = await connection.QueryAsync<ModelRow>(new CommandDefinition(
            "SELECT name, created_at AS CreatedAt, created_by AS CreatedBy FROM models ORDER BY name", cancellationToken: cancellationToken));
        var versions = (await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} ORDER BY v.model, v.version", cancellationToken: cancellationToken))).ToLookup(row => row.Model);
        var policies = (await connection.QueryAsync<PolicyRow>(new CommandDefinition(
            $"SELECT {PolicyColumns} FROM model_traffic t JOIN traffic_policies p ON p.id = t.policy_id", cancellationToken: cancellationToken)))
            .ToDictionary(row => row.Model);
        return [.. models.Select(model => model.ToRecord(versions[model.Name], policies.GetValueOrDefault(model.Name)))];
    }

    /// <summary>The model with its versions and its policy; null when the registry has no such model.</summary>
    public async Task<ModelRecord?> FindModelAsync(string model, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await FindModelAsync(connection, null, model, cancellationToken);
    }

    public async Task<VersionRecord?> FindVersionAsync(string model, int version, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} WHERE v.model = @model AND v.version = @version", new { model, version }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    /// <summary>The version of <paramref name="model"/> whose bytes have SHA-256 <paramref name="sha256"/>, if any.</summary>
    public async Task<int?> VersionWithHashAsync(string model, string sha256, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
            "SELECT version FROM model_versions WHERE model = @model AND sha256 = @sha256", new { model, sha256 }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Adds a version in state <c>validating</c> (creating the model on its first version), numbered after the model's
    /// highest under its row lock, so concurrent uploads get distinct numbers; audited as <c>model.version.upload</c>.
    /// </summary>
    /// <exception cref="RequestRefusedException">409: the model already has these bytes, or (seed) that version number.</exception>
    public async Task<VersionRecord> AddVersionAsync(NewVersion version, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO models (name, created_by) VALUES (@Model, @CreatedBy) ON CONFLICT (name) DO NOTHING", version, transaction, cancellationToken: cancellationToken));
        await LockModelAsync(connection, transaction, version.Model, cancellationToken);
        if (await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
                "SELECT version FROM model_versions WHERE model = @Model AND sha256 = @Sha256", version, transaction, cancellationToken: cancellationToken)) is { } existing)
        {
            throw Identical(version.Model, existing);
        }

        var number = version.Version ?? await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model = @Model", version, transaction, cancellationToken: cancellationToken));
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO model_versions (model, version, sha256, size_bytes, storage_key, config, created_by, labelled_set)
            VALUES (@Model, @number, @Sha256, @SizeBytes, @StorageKey, @Config::jsonb, @CreatedBy, @LabelledSet::jsonb)
            ON CONFLICT (model, version) DO NOTHING
            """, new { version.Model, number, version.Sha256, version.SizeBytes, version.StorageKey, version.Config, version.CreatedBy, version.LabelledSet },
            transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            throw RequestRefusedException.Conflict($"model '{version.Model}' already has a version {number}");
        }

        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(version.CreatedBy, AuditLog.VersionUpload, version.Model, number,
            After: new { version.Sha256, version.SizeBytes, version.StorageKey, LabelledSet = version.LabelledSet is { } set ? JsonDocument.Parse(set).RootElement : (JsonElement?)null }),
            cancellationToken);
        var added = await connection.QuerySingleAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} WHERE v.model = @Model AND v.version = @number", new { version.Model, number }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return added.ToRecord();
    }

    /// <summary>
    /// Adds a version made from <see cref="DerivedVersion.Parent"/> (an optimization, or a serving configuration on the
    /// parent's bytes) in state <c>validating</c>, with its lineage; audited as <c>model.version.derive</c>.
    /// </summary>
    /// <exception cref="RequestRefusedException">404 unknown model or parent; 409 a parent that is not ready, or a version with these bytes and config already.</exception>
    public async Task<VersionRecord> AddDerivedVersionAsync(DerivedVersion version, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockExistingModelAsync(connection, transaction, version.Model, cancellationToken);
        var parent = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} WHERE v.model = @Model AND v.version = @Parent", version, transaction, cancellationToken: cancellationToken));
        var parentRecord = RequireDerivable(version.Model, version.Parent, parent?.ToRecord());
        if (await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
                "SELECT version FROM model_versions WHERE model = @Model AND sha256 = @Sha256 AND config = @Config::jsonb", version, transaction,
                cancellationToken: cancellationToken)) is { } existing)
        {
            throw RequestRefusedException.Conflict($"model '{version.Model}' already has these bytes with this config: identical to version {existing}");
        }

        var number = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model = @Model", version, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO model_versions (model, version, sha256, size_bytes, storage_key, config, parent_version, transform, created_by, labelled_set)
            VALUES (@Model, @number, @Sha256, @SizeBytes, @StorageKey, @Config::jsonb, @Parent, @Transform::jsonb, @CreatedBy, @LabelledSet::jsonb)
            """, new
            {
                version.Model, number, version.Sha256, version.SizeBytes, version.StorageKey, version.Config, version.Parent, version.Transform, version.CreatedBy,
                // The parent's labelled set: an optimization is scored on the set its parent was.
                parentRecord.LabelledSet,
            },
            transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(version.CreatedBy, AuditLog.VersionDerive, version.Model, number,
            After: new { parent = version.Parent, transform = JsonDocument.Parse(version.Transform).RootElement, version.Sha256, version.SizeBytes }),
            cancellationToken);
        var added = await connection.QuerySingleAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} WHERE v.model = @Model AND v.version = @number", new { version.Model, number }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return added.ToRecord();
    }

    /// <summary>Refuses to derive from a version that is unknown or not <c>ready</c>: callers check before the work, the store again under the lock.</summary>
    /// <exception cref="RequestRefusedException">404 unknown version; 409 not ready.</exception>
    public static VersionRecord RequireDerivable(string model, int version, VersionRecord? parent) => parent switch
    {
        null => throw RequestRefusedException.NotFound($"model '{model}' has no version {version}"),
        { State: VersionStates.Ready } => parent,
        _ => throw RequestRefusedException.Conflict($"version {version} of model '{model}' is {parent.State}: only a ready version can be optimized or reconfigured"),
    };

    public static RequestRefusedException Identical(string model, int existing) =>
        RequestRefusedException.Conflict($"model '{model}' already has these bytes: identical to version {existing}");

    /// <summary>
    /// Puts <paramref name="weights"/> in force for <paramref name="model"/>, atomically: only its <c>ready</c> versions;
    /// a version whose validation found its signature incompatible needs <paramref name="force"/> to get traffic, and
    /// each one forced is audited as <c>traffic.forced</c>. The policy replaced becomes the new one's rollback target.
    /// </summary>
    /// <exception cref="RequestRefusedException">404 unknown model; 400 a version it lacks or not ready; 409 an incompatible version without force.</exception>
    public async Task<PolicyRecord> SetTrafficAsync(string model, IReadOnlyDictionary<int, int> weights, string reason, bool force, string keyId,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockExistingModelAsync(connection, transaction, model, cancellationToken);
        var versions = (await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} WHERE v.model = @model", new { model }, transaction, cancellationToken: cancellationToken))).ToDictionary(row => row.Version);
        var forced = new List<(int Version, JsonElement Changes)>();
        foreach (var (number, weight) in weights)
        {
            if (!versions.TryGetValue(number, out var version))
            {
                throw RequestRefusedException.BadRequest($"'weights' names version {number}, which model '{model}' does not have");
            }

            if (version.State != VersionStates.Ready)
            {
                throw RequestRefusedException.BadRequest($"'weights' names version {number}, which is {version.State}, not ready: only ready versions take traffic");
            }

            if (weight > 0 && IncompatibleSignature(version.Report) is { } incompatible)
            {
                if (!force)
                {
                    throw RequestRefusedException.Conflict(
                        $"version {number}'s signature is not compatible with version {incompatible.With}: {string.Join("; ", incompatible.Changes.EnumerateArray().Select(change => change.GetString()))}. "
                        + "To give it traffic anyway, send \"force\": true with a reason");
                }

                forced.Add((number, incompatible.Changes));
            }
        }

        var current = await CurrentPolicyAsync(connection, transaction, model, cancellationToken);
        var policy = await PutPolicyAsync(connection, transaction, model, weights, current?.Id, "set", reason, keyId, cancellationToken);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(keyId, AuditLog.TrafficSet, model, null,
            current is null ? null : PolicyState(current), PolicyState(policy), reason), cancellationToken);
        foreach (var (number, changes) in forced)
        {
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(keyId, AuditLog.TrafficForced, model, number,
                After: new { PolicyId = policy.Id, Weight = weights[number], Changes = changes }, Reason: reason), cancellationToken);
        }

        await NotifyAsync(connection, transaction, model, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return policy;
    }

    /// <summary>
    /// Returns <paramref name="model"/>'s traffic to the policy in force before the current one (the current one's
    /// parent), as a new policy whose own parent is that policy's parent, so a second rollback goes further back.
    /// With <paramref name="ifPolicyId"/> (automatic rollback), nothing happens unless that policy is still in force.
    /// </summary>
    /// <returns>The policy now in force; null when <paramref name="ifPolicyId"/> was no longer in force.</returns>
    /// <exception cref="RequestRefusedException">404 unknown model; 409 nothing to roll back to.</exception>
    public async Task<PolicyRecord?> RollbackAsync(string model, string reason, string keyId, CancellationToken cancellationToken,
        long? ifPolicyId = null, object? figures = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockExistingModelAsync(connection, transaction, model, cancellationToken);
        var current = await CurrentPolicyAsync(connection, transaction, model, cancellationToken)
                      ?? throw RequestRefusedException.Conflict($"model '{model}' has no traffic policy: there is nothing to roll back");
        if (ifPolicyId is { } expected && current.Id != expected)
        {
            return null;
        }

        if (current.ParentId is not { } parentId)
        {
            throw RequestRefusedException.Conflict(
                $"model '{model}' has nothing to roll back to: its policy {current.Id} ({Describe(current.Weights)}) is the first");
        }

        var target = (await connection.QuerySingleAsync<PolicyRow>(new CommandDefinition(
            $"SELECT {PolicyColumns} FROM traffic_policies p WHERE p.id = @parentId", new { parentId }, transaction, cancellationToken: cancellationToken))).ToRecord();
        var automatic = ifPolicyId is not null;
        var policy = await PutPolicyAsync(connection, transaction, model, target.Weights, target.ParentId, automatic ? "auto_rollback" : "rollback",
            reason, keyId, cancellationToken);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(keyId, automatic ? AuditLog.TrafficAutoRollback : AuditLog.TrafficRollback,
            model, null, PolicyState(current), figures is null ? PolicyState(policy) : new { PolicyId = policy.Id, policy.Weights, Figures = figures }, reason),
            cancellationToken);
        await NotifyAsync(connection, transaction, model, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return policy;
    }

    /// <summary>
    /// The seeder's first policy for a model it imported: 100 % on <paramref name="version"/>, unless the model has a
    /// policy already (another gateway, or an operator, set one). Audited as <c>model.seed</c> by <c>system</c>.
    /// </summary>
    public async Task<PolicyRecord?> SeedPolicyAsync(string model, int version, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockExistingModelAsync(connection, transaction, model, cancellationToken);
        if (await CurrentPolicyAsync(connection, transaction, model, cancellationToken) is not null)
        {
            return null;
        }

        const string reason = "imported from the seed folder at first start";
        var weights = new SortedDictionary<int, int> { [version] = 100 };
        var policy = await PutPolicyAsync(connection, transaction, model, weights, null, "seed", reason, AuditLog.SystemKeyId, cancellationToken);
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(AuditLog.SystemKeyId, AuditLog.ModelSeed, model, version,
            After: PolicyState(policy), Reason: reason), cancellationToken);
        await NotifyAsync(connection, transaction, model, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return policy;
    }

    /// <summary>
    /// Claims the oldest version waiting for validation that no gateway holds (<c>FOR UPDATE SKIP LOCKED</c>, so
    /// gateways share the work), for <paramref name="lease"/>; with the version to compare it with: the stable version
    /// of the policy in force, else the model's newest ready version.
    /// </summary>
    public async Task<ValidationClaim?> ClaimValidationAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var candidate = await connection.QuerySingleOrDefaultAsync<ClaimRow>(new CommandDefinition("""
            WITH next AS (
                SELECT model, version FROM model_versions
                WHERE state = 'validating' AND (validation_lease_until IS NULL OR validation_lease_until < clock_timestamp())
                ORDER BY created_at
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            UPDATE model_versions v SET validation_lease_until = clock_timestamp() + @lease
            FROM next WHERE v.model = next.model AND v.version = next.version
            RETURNING v.model, v.version
            """, new { lease }, cancellationToken: cancellationToken));
        if (candidate is null)
        {
            return null;
        }

        var versions = (await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} WHERE v.model = @Model", new { candidate.Model }, cancellationToken: cancellationToken))).Select(row => row.ToRecord()).ToList();
        var stable = (await CurrentPolicyAsync(connection, null, candidate.Model, cancellationToken))?.Stable;
        var ready = versions.Where(version => version.State == VersionStates.Ready && version.Version != candidate.Version).ToList();
        var reference = ready.FirstOrDefault(version => version.Version == stable) ?? ready.MaxBy(version => version.Version);
        return new ValidationClaim(versions.Single(version => version.Version == candidate.Version), reference);
    }

    /// <summary>Keeps the claim for another <paramref name="lease"/> (while the validation runs) or, after a failure, until a retry.</summary>
    public async Task ExtendClaimAsync(string model, int version, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE model_versions SET validation_lease_until = clock_timestamp() + @lease
            WHERE model = @model AND version = @version AND state = 'validating'
            """, new { model, version, lease }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Stores the report and the state validation decided, audited as <c>model.version.validated</c> by <c>system</c>.
    /// False when the version was no longer validating (another gateway finished it first).
    /// </summary>
    public async Task<bool> CompleteValidationAsync(string model, int version, ValidationOutcome outcome, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE model_versions
            SET state = @State, state_reason = @Reason, signature = @Signature::jsonb, opset = @Opset, producer = @Producer, validation_lease_until = NULL
            WHERE model = @model AND version = @version AND state = 'validating'
            """, new { model, version, outcome.State, outcome.Reason, outcome.Signature, outcome.Opset, outcome.Producer },
            transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO validation_reports (model, version, report) VALUES (@model, @version, @Report::jsonb)
            ON CONFLICT (model, version) DO UPDATE SET report = excluded.report, created_at = clock_timestamp()
            """, new { model, version, outcome.Report }, transaction, cancellationToken: cancellationToken));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(AuditLog.SystemKeyId, AuditLog.VersionValidated, model, version,
            new { State = VersionStates.Validating }, new { outcome.State, outcome.Reason }), cancellationToken);
        await NotifyAsync(connection, transaction, model, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task<ModelRecord?> FindModelAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string model, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<ModelRow>(new CommandDefinition(
            "SELECT name, created_at AS CreatedAt, created_by AS CreatedBy FROM models WHERE name = @model", new { model }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var versions = await connection.QueryAsync<VersionRow>(new CommandDefinition(
            $"SELECT {VersionColumns} WHERE v.model = @model ORDER BY v.version", new { model }, transaction, cancellationToken: cancellationToken));
        var policy = await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
            $"SELECT {PolicyColumns} FROM model_traffic t JOIN traffic_policies p ON p.id = t.policy_id WHERE t.model = @model",
            new { model }, transaction, cancellationToken: cancellationToken));
        return row.ToRecord(versions, policy);
    }

    private static async Task<PolicyRecord?> CurrentPolicyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string model, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<PolicyRow>(new CommandDefinition(
            $"SELECT {PolicyColumns} FROM model_traffic t JOIN traffic_policies p ON p.id = t.policy_id WHERE t.model = @model",
            new { model }, transaction, cancellationToken: cancellationToken)))?.ToRecord();

    private static async Task<PolicyRecord> PutPolicyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string model,
        IReadOnlyDictionary<int, int> weights, long? parentId, string kind, string reason, string keyId, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleAsync<PolicyRow>(new CommandDefinition($"""
            WITH p AS (
                INSERT INTO traffic_policies (model, weights, parent_id, kind, reason, created_by)
                VALUES (@model, @weights::jsonb, @parentId, @kind, @reason, @keyId)
                RETURNING *)
            SELECT {PolicyColumns} FROM p
            """, new { model, weights = JsonSerializer.Serialize(weights), parentId, kind, reason, keyId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO model_traffic (model, policy_id) VALUES (@model, @id)
            ON CONFLICT (model) DO UPDATE SET policy_id = excluded.policy_id
            """, new { model, row.Id }, transaction, cancellationToken: cancellationToken));
        return row.ToRecord();
    }

    // Serialises every change to one model (see the class comment).
    private static Task<int?> LockModelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string model, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
            "SELECT 1 FROM models WHERE name = @model FOR UPDATE", new { model }, transaction, cancellationToken: cancellationToken));

    private static async Task LockExistingModelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string model, CancellationToken cancellationToken)
    {
        if (await LockModelAsync(connection, transaction, model, cancellationToken) is null)
        {
            throw RequestRefusedException.NotFound($"the registry has no model '{model}'");
        }
    }

    private static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string model, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@channel, @model)", new { channel = Channel, model }, transaction, cancellationToken: cancellationToken));

    /// <summary>What the version's validation report says against its reference, when it found the signature incompatible.</summary>
    private static (long? With, JsonElement Changes)? IncompatibleSignature(string? report)
    {
        if (report is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(report);
        if (!document.RootElement.TryGetProperty("signature", out var signature) || signature.ValueKind != JsonValueKind.Object
            || !signature.TryGetProperty("compatible", out var compatible) || compatible.ValueKind != JsonValueKind.False)
        {
            return null;
        }

        long? with = signature.TryGetProperty("compatible_with", out var reference) && reference.ValueKind == JsonValueKind.Number ? reference.GetInt64() : null;
        var changes = signature.TryGetProperty("changes", out var list) && list.ValueKind == JsonValueKind.Array ? list.Clone() : JsonDocument.Parse("[]").RootElement.Clone();
        return (with, changes);
    }

    private static object PolicyState(PolicyRecord policy) => new { PolicyId = policy.Id, policy.Weights };

    private static string Describe(IReadOnlyDictionary<int, int> weights) => string.Join(" ", weights.Select(weight => $"{weight.Key}={weight.Value}"));

    // Dapper maps columns to settable properties; the records stay immutable.
    private sealed class ModelRow
    {
        public string Name { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";

        public ModelRecord ToRecord(IEnumerable<VersionRow> versions, PolicyRow? policy) =>
            new(Name, Utc(CreatedAt), CreatedBy, [.. versions.OrderBy(version => version.Version).Select(version => version.ToRecord())], policy?.ToRecord());
    }

    private sealed class VersionRow
    {
        public string Model { get; set; } = "";
        public int Version { get; set; }
        public string Sha256 { get; set; } = "";
        public long SizeBytes { get; set; }
        public string StorageKey { get; set; } = "";
        public string Config { get; set; } = "{}";
        public string? Signature { get; set; }
        public int? Opset { get; set; }
        public string? Producer { get; set; }
        public int? ParentVersion { get; set; }
        public string? Transform { get; set; }
        public string State { get; set; } = "";
        public string StateReason { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public string CreatedBy { get; set; } = "";
        public string? Report { get; set; }
        public string? LabelledSet { get; set; }

        public VersionRecord ToRecord() => new(Model, Version, Sha256, SizeBytes, StorageKey, Config, Signature, Opset, Producer, ParentVersion,
            Transform, State, StateReason, Utc(CreatedAt), CreatedBy, Report, LabelledSet);
    }

    private sealed class ClaimRow
    {
        public string Model { get; set; } = "";
        public int Version { get; set; }
    }

    private sealed class PolicyRow
    {
        public long Id { get; set; }
        public string Model { get; set; } = "";
        public string Weights { get; set; } = "{}";
        public long? ParentId { get; set; }
        public string Kind { get; set; } = "";
        public string Reason { get; set; } = "";
        public string CreatedBy { get; set; } = "";
        public DateTime CreatedAt { get; set; }

        public PolicyRecord ToRecord() => new(Id, Model, RegistryJson.ParseWeights(Weights), ParentId, Kind, Reason, CreatedBy, Utc(CreatedAt));
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
