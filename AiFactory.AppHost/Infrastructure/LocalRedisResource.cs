namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// A <c>redis-server</c> binary from this machine, run through <c>scripts/run-redis.sh</c> (which hands it the password
/// on its standard input, off the command line) when no container runtime answers.
/// </summary>
public sealed class LocalRedisResource(string name, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference PrimaryEndpoint => field ??= new EndpointReference(this, EndpointName);

    public ParameterResource Password { get; } = password;

    /// <summary>The same form Aspire's Redis container gives: <c>host:port,password=…</c>.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={Password}");
}
