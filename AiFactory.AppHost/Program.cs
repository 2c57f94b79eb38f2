using AiFactory.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = builder.AddInfrastructure();

var inference = builder.AddProject<Projects.AiFactory_Inference>("inference")
    .WithReplicas(builder.Configuration.GetValue("Inference:Replicas", 2))
    .WithEnvironment("ModelRepository__Path", ModelRepositoryPath(builder))
    .WithHttpHealthCheck("/health");

var gateway = builder.AddProject<Projects.AiFactory_Gateway>("gateway")
    .WithReference(inference).WaitFor(inference)
    .WithConnection(infrastructure.Cache)
    .WithConnection(infrastructure.Database)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.AiFactory_Dashboard>("dashboard")
    .WithReference(gateway).WaitFor(gateway)
    .WithHttpHealthCheck("/health");

builder.Build().Run();

// Locally the repository's models/ folder; in a cluster a volume mounted at /models (see manifests/).
static string ModelRepositoryPath(IDistributedApplicationBuilder builder) =>
    builder.ExecutionContext.IsPublishMode
        ? "/models"
        : builder.Configuration["ModelRepository:Path"] ?? Path.Combine(InfrastructureExtensions.RepositoryRoot(builder), "models");
