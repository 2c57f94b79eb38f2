using AiFactory.AppHost.Infrastructure;
using AiFactory.AppHost.Publishing;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// The first admin key, so the first real keys can be created through the admin API. Generated once and kept in the
// AppHost's user secrets unless given (Parameters:gateway-admin-key; scripts/start.sh keeps one in .data/admin-key).
var adminKey = builder.AddParameter("gateway-admin-key", new GenerateParameterDefault { MinLength = 32, Special = false },
    secret: true, persist: true);

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
    .WithEnvironment("Gateway__ApiKeys__BootstrapAdminKey", adminKey)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.AiFactory_Dashboard>("dashboard")
    .WithPlainHttpWhenPublished()
    .WithReference(gateway).WaitFor(gateway)
    .WithEnvironment("Gateway__ApiKey", adminKey)
    .WithHttpHealthCheck("/health");

builder.Build().Run();

// Locally the repository's models/ folder; in a cluster, a volume the deployment mounts at /models.
static string ModelRepositoryPath(IDistributedApplicationBuilder builder) =>
    builder.ExecutionContext.IsPublishMode
        ? "/models"
        : builder.Configuration["ModelRepository:Path"] ?? Path.Combine(InfrastructureExtensions.RepositoryRoot(builder), "models");
