using AiFactory.AppHost.Infrastructure;
using AiFactory.AppHost.Publishing;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// The first admin key, so the first real keys can be created through the admin API. Generated once and kept in the
// AppHost's user secrets unless given (Parameters:gateway-admin-key; scripts/start.sh keeps one in .data/admin-key).
var adminKey = builder.AddParameter("gateway-admin-key", new GenerateParameterDefault { MinLength = 32, Special = false },
    secret: true, persist: true);

var infrastructure = builder.AddInfrastructure();

var inference = builder.AddInference(builder.Configuration.GetValue("Inference:Replicas", 2))
    .WithConnection(infrastructure.Storage);

var gateway = builder.AddProject<Projects.AiFactory_Gateway>("gateway")
    .WithPlainHttpWhenPublished()
    .WithInference(inference)
    .WithConnection(infrastructure.Cache)
    .WithConnection(infrastructure.Database)
    .WithConnection(infrastructure.Storage)
    .WithEnvironment("Gateway__ApiKeys__BootstrapAdminKey", adminKey)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.AiFactory_Dashboard>("dashboard")
    .WithPlainHttpWhenPublished()
    .WithReference(gateway).WaitFor(gateway)
    .WithEnvironment("Gateway__ApiKey", adminKey)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
