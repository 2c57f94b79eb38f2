namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// A service's own PostgreSQL login, never the superuser, whose password stays with the server for administration.
/// <see cref="Gateway"/> owns the tables the gateway's migrations create and nothing else (not a superuser, no role or
/// database creation); <see cref="Inference"/> may only read the registry tables that say what a replica loads.
/// </summary>
/// <remarks>
/// One script makes each role, wherever PostgreSQL runs: <c>scripts/run-postgres.sh</c> runs it at every start (no
/// containers), the postgres image at the first start of its data volume (<c>/docker-entrypoint-initdb.d</c>: the
/// container mode here, and the Kubernetes overlays, which mount it from a ConfigMap). The scripts live under
/// <c>manifests/overlays/common</c> because Kustomize reads files from within the overlay only.
/// </remarks>
/// <param name="UserName">The login.</param>
/// <param name="PasswordParameter">The secret parameter that holds its password.</param>
/// <param name="PasswordVariable">The environment variable the script reads the password from (never a command-line argument).</param>
/// <param name="ScriptName">The script that makes it, in <c>manifests/overlays/common/postgres-init</c>.</param>
public sealed record DatabaseRole(string UserName, string PasswordParameter, string PasswordVariable, string ScriptName)
{
    public static DatabaseRole Gateway { get; } = new("aifactory_gateway", "gateway-db-password", "GATEWAY_DB_PASSWORD", "gateway-role.sql");

    public static DatabaseRole Inference { get; } = new("aifactory_inference", "inference-db-password", "INFERENCE_DB_PASSWORD", "inference-role.sql");

    /// <summary>Every role, in the order the scripts run (the gateway's first: it grants nothing the other needs).</summary>
    public static IReadOnlyList<DatabaseRole> All { get; } = [Gateway, Inference];

    public string ScriptPath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, "manifests", "overlays", "common", "postgres-init", ScriptName);

    /// <summary>The role's connection string to <paramref name="database"/> on the server at <paramref name="server"/>.</summary>
    public ReferenceExpression ConnectionString(EndpointReference server, ParameterResource password, string database) =>
        ReferenceExpression.Create(
            $"Host={server.Property(EndpointProperty.Host)};Port={server.Property(EndpointProperty.Port)};Username={UserName};Password={password};Database={database}");
}
