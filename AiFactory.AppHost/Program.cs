using AiFactory.AppHost.Infrastructure;
using AiFactory.AppHost.Publishing;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = builder.AddInfrastructure();

// Endpoints come from the service's Kestrel configuration (appsettings.json): "http" for REST and "grpc", an
// HTTP/2-only endpoint for inference.GRPCInferenceService (cleartext HTTP/2 cannot share a port with HTTP/1.1).
var inference = builder.AddProject<Projects.AiFactory_Inference>("inference")
    .WithPlainHttpWhenPublished()
    .WithReplicas(builder.Configuration.GetValue("Inference:Replicas", 2))
    .WithEnvironment("ModelRepository__Path", ModelRepositoryPath(builder))
    .WithHttpHealthCheck("/health");

var gateway = builder.AddProject<Projects.AiFactory_Gateway>("gateway")
    .WithPlainHttpWhenPublished()
    .WithReference(inference).WaitFor(inference)
    .WithConnection(infrastructure.Cache)
    .WithConnection(infrastructure.Database)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.AiFactory_Dashboard>("dashboard")
    .WithPlainHttpWhenPublished()
    .WithReference(gateway).WaitFor(gateway)
    .WithHttpHealthCheck("/health");

builder.Build().Run();

// Locally the repository's models/ folder; in a cluster, a volume the deployment mounts at /models.
static string ModelRepositoryPath(IDistributedApplicationBuilder builder) =>
    builder.ExecutionContext.IsPublishMode
        ? "/models"
        : builder.Configuration["ModelRepository:Path"] ?? Path.Combine(InfrastructureExtensions.RepositoryRoot(builder), "models");
