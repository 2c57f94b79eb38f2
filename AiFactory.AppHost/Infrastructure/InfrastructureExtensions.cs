using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// Redis, PostgreSQL and the object store as the services see them, whatever runs the servers: the gateway's
/// connections (<see cref="Database"/> as its own role) and the inference replicas' (<see cref="InferenceDatabase"/>,
/// the same database as a role that may only read the registry).
/// </summary>
public sealed record AiFactoryInfrastructure(InfrastructureMode Mode, Connection Cache, Connection Database, Connection InferenceDatabase, Connection Storage);

/// <summary>
/// A connection string a service receives as <c>ConnectionStrings__{Name}</c>, and the resource it waits for.
/// </summary>
/// <remarks>
/// Services get this instead of <c>WithReference(redis)</c>: in Aspire 13 that reference also emits URI-encoded
/// password entries (<c>annotated.string</c>) which Aspirate skips, leaving dangling expressions in what it generates.
/// </remarks>
public sealed record Connection(string Name, IResourceBuilder<IResource> Server, ReferenceExpression ConnectionString);

public static class InfrastructureExtensions
{
    public const string CacheName = "cache";
    public const string PostgresName = "postgres";
    public const string DatabaseName = "aifactory";
    /// <summary>In Existing mode, the connection string of the inference replicas' read-only role (<c>ConnectionStrings:aifactory-inference</c>).</summary>
    public const string InferenceDatabaseName = "aifactory-inference";
    public const string ModeKey = "Infrastructure:Mode";
    public const string DataDirectoryKey = "Infrastructure:DataDirectory";

    /// <summary>
    /// Adds Redis, PostgreSQL and the object store. Publishing always describes containers; running uses containers when
    /// a container runtime answers and this machine's own servers when none does (<c>DESIGN.md</c> §4), unless
    /// <c>Infrastructure:Mode</c> says otherwise. The choice and its reason are logged at start.
    /// </summary>
    public static AiFactoryInfrastructure AddInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var (mode, reason) = ChooseMode(builder);
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AiFactory.AppHost")
                .LogInformation("Redis, PostgreSQL and the object store run as {Mode}: {Reason}", mode, reason);
            return Task.CompletedTask;
        });

        return mode switch
        {
            InfrastructureMode.Containers => AddContainers(builder),
            InfrastructureMode.Local => AddLocalServers(builder),
            _ => new AiFactoryInfrastructure(mode, Existing(builder, CacheName), Existing(builder, DatabaseName),
                Existing(builder, InferenceDatabaseName) with { Name = DatabaseName }, Existing(builder, StorageResources.Name)),
        };
    }

    /// <summary>Gives <paramref name="service"/> the connection string and starts it only once the server is healthy.</summary>
    public static IResourceBuilder<T> WithConnection<T>(this IResourceBuilder<T> service, Connection connection)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport =>
        service.WithEnvironment($"ConnectionStrings__{connection.Name}", connection.ConnectionString)
            .WaitFor(connection.Server);

    private static Connection Existing(IDistributedApplicationBuilder builder, string name)
    {
        var resource = builder.AddConnectionString(name);
        return new Connection(name, resource, resource.Resource.ConnectionStringExpression);
    }

    private static (InfrastructureMode Mode, string Reason) ChooseMode(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return (InfrastructureMode.Containers, "a published app model always describes containers");
        }

        var configured = builder.Configuration[ModeKey];
        if (!string.IsNullOrEmpty(configured))
        {
            if (!Enum.TryParse<InfrastructureMode>(configured, ignoreCase: true, out var chosen) || int.TryParse(configured, out _))
            {
                throw new InvalidOperationException(
                    $"Configuration '{ModeKey}' is '{configured}'; use one of {string.Join(", ", Enum.GetNames<InfrastructureMode>())}.");
            }

            if (chosen != InfrastructureMode.Auto)
            {
                return (chosen, $"{ModeKey} is '{configured}'");
            }
        }

        return ContainerRuntimeProbe.TryDetect(out var probe)
            ? (InfrastructureMode.Containers, probe)
            : (InfrastructureMode.Local, $"no container runtime: {probe}");
    }

    private static AiFactoryInfrastructure AddContainers(IDistributedApplicationBuilder builder)
    {
        // Named volumes: the default name hashes the AppHost's path, which would make manifests/ differ per clone.
        var cache = builder.AddRedis(CacheName)
            .WithDataVolume($"{CacheName}-data")
            .WithPersistence()
            .WithMemoryPolicy();
        var passwords = RolePasswords(builder);
        var postgres = builder.AddPostgres(PostgresName)
            .WithDataVolume($"{PostgresName}-data")
            // The image creates the database at first start: in a cluster nothing else would.
            .WithEnvironment("POSTGRES_DB", DatabaseName)
            .WithRolePasswords(passwords);
        if (!builder.ExecutionContext.IsPublishMode)
        {
            // The image runs them at the data volume's first start; in a cluster the overlays mount them from a ConfigMap.
            foreach (var role in DatabaseRole.All)
            {
                postgres.WithInitFiles(role.ScriptPath(RepositoryRoot(builder)));
            }
        }

        var database = postgres.AddDatabase(DatabaseName);

        var cacheEndpoint = cache.Resource.PrimaryEndpoint;
        var postgresEndpoint = postgres.Resource.PrimaryEndpoint;
        return new AiFactoryInfrastructure(
            InfrastructureMode.Containers,
            new Connection(CacheName, cache, ReferenceExpression.Create(
                $"{cacheEndpoint.Property(EndpointProperty.Host)}:{cacheEndpoint.Property(EndpointProperty.Port)},password={cache.Resource.PasswordParameter!}")),
            new Connection(DatabaseName, database, DatabaseRole.Gateway.ConnectionString(postgresEndpoint, passwords[DatabaseRole.Gateway].Resource, DatabaseName)),
            new Connection(DatabaseName, database, DatabaseRole.Inference.ConnectionString(postgresEndpoint, passwords[DatabaseRole.Inference].Resource, DatabaseName)),
            StorageResources.AddSeaweedFs(builder));
    }

    private static AiFactoryInfrastructure AddLocalServers(IDistributedApplicationBuilder builder)
    {
        var dataDirectory = DataDirectory(builder);

        // Same parameter names as the containers' own, so user secrets and deployment inputs mean the same thing.
        var cachePassword = AddPassword(builder, $"{CacheName}-password");
        var redisDirectory = Directory.CreateDirectory(Path.Combine(dataDirectory, "redis")).FullName;
        var redis = new LocalRedisResource(CacheName, redisDirectory, cachePassword.Resource);
        var cache = builder.AddResource(redis)
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                context.Args.Add(Path.Combine(RepositoryRoot(builder), "scripts", "run-redis.sh"));
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--dir");
                context.Args.Add(redisDirectory);
                context.Args.Add("--appendonly");
                context.Args.Add("yes");
                foreach (var argument in RedisMemoryPolicy.ServerArguments(builder))
                {
                    context.Args.Add(argument);
                }
            })
            .WithEnvironment("REDIS_PASSWORD", redis.Password)
            .WithHealthCheck(AddHealthCheck(builder, redis, () => new RedisPingHealthCheck(redis)));

        var postgresPassword = AddPassword(builder, $"{PostgresName}-password");
        var passwords = RolePasswords(builder);
        var postgres = new LocalPostgresResource(PostgresName, RepositoryRoot(builder), postgresPassword.Resource, DatabaseName);
        var gatewayConnection = DatabaseRole.Gateway.ConnectionString(postgres.PrimaryEndpoint, passwords[DatabaseRole.Gateway].Resource, DatabaseName);
        var inferenceConnection = DatabaseRole.Inference.ConnectionString(postgres.PrimaryEndpoint, passwords[DatabaseRole.Inference].Resource, DatabaseName);
        var database = builder.AddResource(postgres)
            .WithEndpoint(name: LocalPostgresResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                context.Args.Add(Path.Combine(RepositoryRoot(builder), "scripts", "run-postgres.sh"));
                context.Args.Add(postgres.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add(Path.Combine(dataDirectory, "postgres"));
                context.Args.Add(postgres.DatabaseName);
            })
            .WithEnvironment("POSTGRES_PASSWORD", postgres.Password)
            .WithRolePasswords(passwords)
            // Serving means the services' roles can log in: run-postgres.sh makes the inference role last.
            .WithHealthCheck(AddHealthCheck(builder, postgres, () => new PostgresQueryHealthCheck(postgres.Name, inferenceConnection)));

        return new AiFactoryInfrastructure(
            InfrastructureMode.Local,
            new Connection(CacheName, cache, redis.ConnectionStringExpression),
            new Connection(DatabaseName, database, gatewayConnection),
            new Connection(DatabaseName, database, inferenceConnection),
            StorageResources.AddS3rver(builder, dataDirectory));
    }

    /// <summary>The folder local servers and replica caches keep their data in (<c>Infrastructure:DataDirectory</c>, default <c>.data</c>).</summary>
    public static string DataDirectory(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(builder.Configuration[DataDirectoryKey] ?? Path.Combine(RepositoryRoot(builder), ".data"));

    /// <summary>Each service role's password: a secret parameter the server's scripts read from the environment.</summary>
    private static Dictionary<DatabaseRole, IResourceBuilder<ParameterResource>> RolePasswords(IDistributedApplicationBuilder builder) =>
        DatabaseRole.All.ToDictionary(role => role, role => AddPassword(builder, role.PasswordParameter));

    private static IResourceBuilder<T> WithRolePasswords<T>(this IResourceBuilder<T> server, Dictionary<DatabaseRole, IResourceBuilder<ParameterResource>> passwords)
        where T : IResourceWithEnvironment
    {
        foreach (var (role, password) in passwords)
        {
            server.WithEnvironment(role.PasswordVariable, password);
        }

        return server;
    }

    internal static IResourceBuilder<ParameterResource> AddPassword(IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);

    internal static string AddHealthCheck(IDistributedApplicationBuilder builder, IResource resource, Func<IHealthCheck> create)
    {
        var key = $"{resource.Name}-serves";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => create(), failureStatus: null, tags: null));
        return key;
    }

    /// <summary>The repository root: the AppHost project lives one folder below it.</summary>
    public static string RepositoryRoot(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
}
