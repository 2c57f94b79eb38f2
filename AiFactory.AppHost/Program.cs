using AiFactory.AppHost.Infrastructure;
using AiFactory.AppHost.Parameters;
using AiFactory.AppHost.Publishing;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);
builder.AddParametersFromEnvironment();

// The first admin key, so the first real keys can be created through the admin API. Generated once and kept in the
// AppHost's user secrets unless given (Parameters:gateway-admin-key; scripts/start.sh passes the one it keeps in
// .data/admin-key through the environment). Only the gateway gets it.
var adminKey = builder.AddParameter("gateway-admin-key", new GenerateParameterDefault { MinLength = 32, Special = false },
    secret: true, persist: true);

var infrastructure = builder.AddInfrastructure();

var inference = builder.AddInference(builder.Configuration.GetValue("Inference:Replicas", 2))
    .WithConnection(infrastructure.InferenceDatabase)
    .WithConnection(infrastructure.Storage)
    .WithRecognitionDictionary("Ocr:RecognitionDictionary");

var gateway = builder.AddProject<Projects.AiFactory_Gateway>("gateway")
    .WithPlainHttpWhenPublished()
    .WithInference(inference)
    .WithConnection(infrastructure.Cache)
    .WithConnection(infrastructure.Database)
    .WithConnection(infrastructure.Storage)
    .WithRegistrySeed()
    .WithEnvironment("Gateway__ApiKeys__BootstrapAdminKey", adminKey)
    // Clients reach http and grpc; the management endpoint (/metrics) is for Prometheus only.
    .WithExternalHttpEndpoints()
    .WithEndpoint("management", endpoint => endpoint.IsExternal = false, createIfNotExists: false)
    .WithHttpHealthCheck("/health");

// The operators' console holds no key of its own: it calls the admin API with the signed-in operator's credential.
// Redis keeps its sessions and data-protection keys, so sessions survive a restart and work across replicas.
builder.AddProject<Projects.AiFactory_Dashboard>("dashboard")
    .WithPlainHttpWhenPublished()
    .WithReference(gateway.GetEndpoint("http")).WaitFor(gateway)
    .WithConnection(infrastructure.Cache)
    .WithRecognitionDictionary("TryIt:RecognitionDictionary")
    .WithHttpHealthCheck("/health");

builder.Build().Run();
