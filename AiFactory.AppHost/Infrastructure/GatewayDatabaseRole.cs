namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// The gateway's own PostgreSQL login: it owns the tables the gateway's migrations create and nothing else (not a
/// superuser, no role or database creation). The superuser's password stays with the server, for administration.
/// </summary>
/// <remarks>
/// One script makes the role, wherever PostgreSQL runs: <c>scripts/run-postgres.sh</c> runs it at every start (no
/// containers), the postgres image at the first start of its data volume (<c>/docker-entrypoint-initdb.d</c>: the
/// container mode here, and the Kubernetes overlays, which mount it from a ConfigMap). It lives under
/// <c>manifests/overlays/common</c> because Kustomize reads files from within the overlay only.
/// </remarks>
public static class GatewayDatabaseRole
{
    public const string UserName = "aifactory_gateway";

    /// <summary>The secret parameter that holds the role's password.</summary>
    public const string PasswordParameter = "gateway-db-password";

    /// <summary>The environment variable the script reads the password from (never a command-line argument).</summary>
    public const string PasswordVariable = "GATEWAY_DB_PASSWORD";

    public static string ScriptPath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, "manifests", "overlays", "common", "postgres-init", "gateway-role.sql");

    /// <summary>The gateway's connection string to <paramref name="database"/> on the server at <paramref name="server"/>.</summary>
    public static ReferenceExpression ConnectionString(EndpointReference server, ParameterResource password, string database) =>
        ReferenceExpression.Create(
            $"Host={server.Property(EndpointProperty.Host)};Port={server.Property(EndpointProperty.Port)};Username={UserName};Password={password};Database={database}");
}
