using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Registry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Extensions;

public static class RegistryServiceExtensions
{
    /// <summary>The connection the AppHost gives the gateway for the object store that holds the models.</summary>
    public const string StorageConnectionName = "storage";

    /// <summary>
    /// Registers the model registry: its store and audit log over PostgreSQL, the object store (S3), uploads, the
    /// validation worker (which asks an inference replica to validate each upload), the seed import, and what the
    /// admin API reports of the replicas (<see cref="IObservedTraffic"/>; nothing until a monitor is registered).
    /// </summary>
    public static IHostApplicationBuilder AddModelRegistry(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.AddObjectStore(StorageConnectionName);
        services.AddSingleton<RegistryStore>().AddSingleton<AuditLog>().AddSingleton<UploadService>().AddSingleton<LabelledSetUploads>();
        services.TryAddSingleton<IObservedTraffic, NoObservedTraffic>();
        // A validation takes as long as its model takes (download, load, profile), and the worker retries on its own:
        // no standard resilience handler, whose timeouts (10 s an attempt) and retries suit short calls. Removing it is
        // marked experimental (EXTEXP0001); configuring its timeouts instead would keep retries that re-run validations.
#pragma warning disable EXTEXP0001
        services.AddHttpClient<ValidationClient>(ValidationClient.ClientName, (provider, http) =>
            {
                http.BaseAddress = new Uri("http://inference");
                http.Timeout = provider.GetRequiredService<IOptions<RegistryOptions>>().Value.ValidationTimeout;
            })
            .RemoveAllResilienceHandlers();
        // A transform, likewise: minutes, and never re-run by a retry.
        services.AddHttpClient<OptimizationClient>(OptimizationClient.ClientName, (provider, http) =>
            {
                http.BaseAddress = new Uri("http://inference");
                http.Timeout = provider.GetRequiredService<IOptions<RegistryOptions>>().Value.OptimizationTimeout;
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        services.AddSingleton<VersionOptimizer>().AddSingleton<TensorRtServing>();
        services.AddSingleton<ValidationWorker>().AddHostedService(provider => provider.GetRequiredService<ValidationWorker>());
        services.AddSingleton<RegistrySeeder>().AddHostedService(provider => provider.GetRequiredService<RegistrySeeder>());
        services.AddBadRequestErrors();
        return builder;
    }
}
