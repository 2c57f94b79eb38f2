using AiFactory.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

var infrastructure = builder.AddInfrastructure();

var inference = builder.AddInference(builder.Configuration.GetValue("Inference:Replicas", 2));

var gateway = builder.AddProject<Projects.AiFactory_Gateway>("gateway")
    .WithInference(inference)
    .WithConnection(infrastructure.Cache)
    .WithConnection(infrastructure.Database)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.AiFactory_Dashboard>("dashboard")
    .WithReference(gateway).WaitFor(gateway)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
