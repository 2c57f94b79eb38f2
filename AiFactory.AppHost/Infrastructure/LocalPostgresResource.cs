namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// PostgreSQL binaries from this machine, run through <c>scripts/run-postgres.sh</c> (which initialises the data
/// folder, drops root privileges, creates the database and the gateway's role) when no container runtime answers.
/// Its connection string is the superuser's, for administration; the gateway gets its own role's.
/// </summary>
public sealed class LocalPostgresResource(string name, string workingDirectory, ParameterResource password, string databaseName)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string UserName = "postgres";

    public EndpointReference PrimaryEndpoint => field ??= new EndpointReference(this, EndpointName);

    public ParameterResource Password { get; } = password;

    public string DatabaseName { get; } = databaseName;

    /// <summary>The superuser's, to the application database.</summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={Password};Database={DatabaseName}");
}
