namespace AiFactory.AppHost.Infrastructure;

/// <summary>
/// npm's <c>s3rver</c> (a real S3 server on the filesystem, pinned in the repository's <c>package.json</c>) run with
/// node by the AppHost when no container runtime answers. It creates the bucket at start (<c>--configure-bucket</c>).
/// </summary>
/// <remarks>
/// s3rver's credentials are fixed by s3rver itself (<c>S3RVER</c>/<c>S3RVER</c>); it also answers unsigned requests,
/// so it listens on 127.0.0.1 only. Services get them in their connection string, through the environment. It stores
/// aws-chunked framing inside objects and cannot read the SDK's copy requests, hence <c>ChunkedUploads=false</c> and
/// <c>ServerSideCopy=false</c> (AiFactory.Storage, <c>StorageOptions</c>).
/// </remarks>
public sealed class LocalStorageResource(string name, string workingDirectory, string bucket)
    : ExecutableResource(name, "node", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "http";
    public const string Credentials = "S3RVER";

    public EndpointReference PrimaryEndpoint => field ??= new EndpointReference(this, EndpointName);

    public string Bucket { get; } = bucket;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Endpoint={PrimaryEndpoint.Property(EndpointProperty.Url)};AccessKey={Credentials};SecretKey={Credentials};Bucket={Bucket};Region=us-east-1;ChunkedUploads=false;ServerSideCopy=false");
}
