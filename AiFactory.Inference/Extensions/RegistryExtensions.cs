using AiFactory.Inference.Registry;
using AiFactory.Inference.Repository;
using AiFactory.Registry.Client;

namespace AiFactory.Inference.Extensions;

public static class RegistryExtensions
{
    /// <summary>The connection name of the registry's database (the replica's read-only role).</summary>
    public const string DatabaseConnectionName = "aifactory";

    /// <summary>
    /// Registry mode (<c>Registry:Enabled</c>): the replica serves what the model registry wants, read from PostgreSQL
    /// and pulled from the object store (<see cref="RegistryReconciler"/>), instead of what its folder holds. Neither
    /// server is part of readiness: the replica keeps serving what it has while they are away.
    /// </summary>
    public static IHostApplicationBuilder AddRegistryReconciler(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(DatabaseConnectionName, settings => settings.DisableHealthChecks = true);
        builder.AddObjectStore(InferenceServiceExtensions.StorageConnectionName);
        builder.Services.AddSingleton(TimeProvider.System)
            .AddSingleton<RegistryMetrics>()
            .AddSingleton<DesiredStateReader>()
            .AddSingleton<ArtifactCache>()
            .AddSingleton<RegistryChangeListener>()
            .AddSingleton<RegistryReconciler>()
            .AddHostedService(services => services.GetRequiredService<RegistryReconciler>())
            .AddSingleton<IModelControl>(services => services.GetRequiredService<RegistryReconciler>());
        return builder;
    }
}
