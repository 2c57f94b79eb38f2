using static AiFactory.AppHost.Infrastructure.InfrastructureExtensions;

namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// The object store the services keep model artifacts in (connection <c>storage</c>, read by AiFactory.Storage):
/// SeaweedFS as a container, or npm's s3rver as an executable resource when no container runtime answers.
/// </summary>
internal static class StorageResources
{
    public const string Name = "storage";
    public const string BucketName = "aifactory";
    public const string SeaweedFsTag = "4.47";
    public const int SeaweedFsS3Port = 8333;

    /// <summary>The identities file, then SeaweedFS in the foreground (manifests/overlays/common/storage.yaml runs the same).</summary>
    public const string SeaweedFsCommand =
        "printf '{\"identities\":[{\"name\":\"aifactory\",\"credentials\":[{\"accessKey\":\"%s\",\"secretKey\":\"%s\"}],\"actions\":[\"Admin\",\"Read\",\"Write\",\"List\",\"Tagging\"]}]}' "
        + "\"$S3_ACCESS_KEY\" \"$S3_SECRET_KEY\" > /tmp/s3.json && exec weed server -dir=/data -ip.bind=0.0.0.0 -s3 -s3.port=8333 -s3.config=/tmp/s3.json";

    /// <summary>
    /// SeaweedFS (<c>weed server -s3</c>: master, volume server, filer and S3 API in one container), which requires
    /// the credentials of the secret parameters <c>storage-access-key</c>/<c>storage-secret-key</c>: the container writes
    /// them into its S3 identities file from the environment (never an argument) before it starts.
    /// </summary>
    public static Connection AddSeaweedFs(IDistributedApplicationBuilder builder)
    {
        var accessKey = AddPassword(builder, $"{Name}-access-key");
        var secretKey = AddPassword(builder, $"{Name}-secret-key");
        var container = builder.AddContainer(Name, "chrislusf/seaweedfs", SeaweedFsTag)
            .WithImageRegistry("docker.io")
            .WithVolume($"{Name}-data", "/data")
            .WithHttpEndpoint(targetPort: SeaweedFsS3Port, name: "http")
            .WithEnvironment("S3_ACCESS_KEY", accessKey)
            .WithEnvironment("S3_SECRET_KEY", secretKey)
            .WithEntrypoint("/bin/sh")
            .WithArgs("-c", SeaweedFsCommand);
        var endpoint = container.Resource.GetEndpoint("http");
        var connectionString = ReferenceExpression.Create(
            $"Endpoint={endpoint.Property(EndpointProperty.Url)};AccessKey={accessKey};SecretKey={secretKey};Bucket={BucketName};Region=us-east-1");
        var health = new ObjectStoreHealthCheck(Name, connectionString);
        container.WithHealthCheck(AddHealthCheck(builder, container.Resource, () => health));
        return new Connection(Name, container, connectionString);
    }

    /// <summary>s3rver from the repository's node_modules (scripts/install-prerequisites.sh), data under <paramref name="dataDirectory"/>/storage.</summary>
    public static Connection AddS3rver(IDistributedApplicationBuilder builder, string dataDirectory)
    {
        var s3rverBin = Path.Combine(RepositoryRoot(builder), "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(s3rverBin))
        {
            throw new InvalidOperationException(
                $"s3rver is not installed ({s3rverBin} is missing): run scripts/install-prerequisites.sh, which installs it with npm ci");
        }

        var storageDirectory = Directory.CreateDirectory(Path.Combine(dataDirectory, Name)).FullName;
        var s3rver = new LocalStorageResource(Name, storageDirectory, BucketName);
        // One check (and one S3 client) for the AppHost's lifetime: the factory runs at every probe.
        var health = new ObjectStoreHealthCheck(s3rver.Name, s3rver.ConnectionStringExpression);
        var storage = builder.AddResource(s3rver)
            .WithHttpEndpoint(name: LocalStorageResource.EndpointName)
            .WithArgs(context =>
            {
                context.Args.Add(s3rverBin);
                context.Args.Add("--directory");
                context.Args.Add(storageDirectory);
                context.Args.Add("--address");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(s3rver.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--configure-bucket");
                context.Args.Add(s3rver.Bucket);
                // Path-style requests only: the Host header is then never read as a bucket name.
                context.Args.Add("--no-vhost-buckets");
            })
            .WithHealthCheck(AddHealthCheck(builder, s3rver, () => health));
        return new Connection(Name, storage, s3rver.ConnectionStringExpression);
    }
}
