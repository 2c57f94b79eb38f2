using AiFactory.AppHost.Publishing;
using Aspire.Hosting.ApplicationModel;

namespace AiFactory.AppHost.Infrastructure;

/// <summary>The inference service's resources: one replicated project when published, one per replica locally.</summary>
public sealed record InferenceReplicas(IReadOnlyList<IResourceBuilder<ProjectResource>> Resources);

/// <summary>The inference replicas, and how the gateway finds each of them.</summary>
public static class InferenceExtensions
{
    /// <summary>The inference resource's name in the manifest, and the service name the gateway resolves.</summary>
    public const string ServiceName = "inference";

    /// <summary>Endpoints from the service's Kestrel configuration (AiFactory.Inference/appsettings.json).</summary>
    public const string HttpEndpoint = "http";
    public const string GrpcEndpoint = "grpc";
    public const string ManagementEndpoint = "management";

    /// <summary>Name of replica <paramref name="index"/> (1-based) in run mode.</summary>
    public static string ReplicaName(int index) => $"{ServiceName}-{index}";

    /// <summary>
    /// Adds the inference service with <paramref name="replicas"/> replicas.
    /// </summary>
    /// <remarks>
    /// Publish mode: one <c>inference</c> project with replicas (what Aspirate turns into one Deployment); in a
    /// cluster a headless Service plus the gateway's <c>Routing:ResolveAllAddresses</c> give the gateway one
    /// address per pod. Run mode: one resource per replica (<c>inference-1..N</c>) with unproxied endpoints.
    /// <c>WithReplicas</c> would put one DCP round-robin proxy in front of all replicas, so the gateway would see
    /// a single destination and could neither balance by load nor take a dead replica out; and DCP refuses
    /// unproxied endpoints on a replicated resource, hence separate resources.
    /// </remarks>
    public static InferenceReplicas AddInference(this IDistributedApplicationBuilder builder, int replicas)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new([AddReplica(builder, ServiceName).WithReplicas(replicas)]);
        }

        // Kestrel's configured ports would collide between replicas: DCP allocates one per replica, and the
        // gateway talks to each process directly (a stopped replica then refuses connections at once).
        return new([.. Enumerable.Range(1, replicas).Select(i => AddReplica(builder, ReplicaName(i))
            .WithEndpoint(HttpEndpoint, Unproxied, createIfNotExists: false)
            .WithEndpoint(GrpcEndpoint, Unproxied, createIfNotExists: false)
            .WithEndpoint(ManagementEndpoint, Unproxied, createIfNotExists: false))]);
    }

    /// <summary>
    /// Gives <paramref name="gateway"/> every replica's <c>http</c> and <c>grpc</c> address as
    /// <c>services__inference__{endpoint}__{i}</c>, the service-discovery keys its YARP destinations resolve.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithInference(this IResourceBuilder<ProjectResource> gateway, InferenceReplicas inference)
    {
        if (gateway.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            // The endpoints it routes to; inference's management endpoint is for Prometheus only.
            var service = inference.Resources.Single();
            return gateway.WithReference(service.GetEndpoint(HttpEndpoint)).WithReference(service.GetEndpoint(GrpcEndpoint)).WaitFor(service);
        }

        for (var i = 0; i < inference.Resources.Count; i++)
        {
            var replica = inference.Resources[i];
            gateway
                .WithEnvironment($"services__{ServiceName}__{HttpEndpoint}__{i}", replica.GetEndpoint(HttpEndpoint))
                .WithEnvironment($"services__{ServiceName}__{GrpcEndpoint}__{i}", replica.GetEndpoint(GrpcEndpoint))
                .WaitFor(replica);
        }

        return gateway;
    }

    /// <summary>Gives every replica the recognizer's dictionary for validation's task metrics (locally; see <see cref="RegistrySeedExtensions.WithRecognitionDictionary"/>).</summary>
    public static InferenceReplicas WithRecognitionDictionary(this InferenceReplicas inference, string settingKey)
    {
        foreach (var replica in inference.Resources)
        {
            replica.WithRecognitionDictionary(settingKey);
        }

        return inference;
    }

    /// <summary>Gives every replica the connection (and makes each wait for its server).</summary>
    public static InferenceReplicas WithConnection(this InferenceReplicas inference, Connection connection)
    {
        foreach (var replica in inference.Resources)
        {
            replica.WithConnection(connection);
        }

        return inference;
    }

    // Endpoints come from the service's Kestrel configuration: "http" for REST, "grpc", an HTTP/2-only endpoint
    // for inference.GRPCInferenceService (cleartext HTTP/2 cannot share a port with HTTP/1.1), and "management" (/metrics).
    // Each replica serves what the registry wants (Registry__Enabled), pulled from the object store into a cache
    // folder of its own: replicas never share files, as pods on different nodes cannot.
    private static IResourceBuilder<ProjectResource> AddReplica(IDistributedApplicationBuilder builder, string name) =>
        builder.AddProject<Projects.AiFactory_Inference>(name)
            .WithPlainHttpWhenPublished()
            .WithEnvironment("Registry__Enabled", "true")
            .WithEnvironment("ModelRepository__Path", CachePath(builder, name))
            .WithHttpHealthCheck("/health");

    private static void Unproxied(EndpointAnnotation endpoint)
    {
        endpoint.Port = null;
        endpoint.IsProxied = false;
    }

    // Locally <data>/replicas/<replica>/models; in a cluster, the volume the deployment mounts at /models (an emptyDir
    // per pod, manifests/overlays/common/inference.yaml).
    private static string CachePath(IDistributedApplicationBuilder builder, string replica) =>
        builder.ExecutionContext.IsPublishMode
            ? "/models"
            : Path.Combine(InfrastructureExtensions.DataDirectory(builder), "replicas", replica, "models");
}
