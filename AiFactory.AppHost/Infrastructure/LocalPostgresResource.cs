namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// PostgreSQL binaries from this machine, run through <c>scripts/run-postgres.sh</c> (which initialises the data
/// folder, drops root privileges and creates the database) when no container runtime answers.
/// </summary>
public sealed class LocalPostgresResource(string name, string workingDirectory, ParameterResource password, string databaseName)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string UserName = "postgres";

    public EndpointReference PrimaryEndpoint => field ??= new EndpointReference(this, EndpointName);

    public ParameterResource Password { get; } = password;

    public string DatabaseName { get; } = databaseName;

    /// <summary>Points at the application database, so services need no other resource to reach it.</summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={Password};Database={DatabaseName}");
}
