using AiFactory.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class ObjectStoreExtensions
{
    /// <summary>
    /// Registers <see cref="IObjectStore"/> on the S3 server that <c>ConnectionStrings:{connectionName}</c> names
    /// (<see cref="StorageOptions"/>; validated at start, failing with a message that names the key), and the monitor
    /// that probes it, logs when it goes away or comes back and reports <c>aifactory.storage.available</c>. The store
    /// is deliberately not a readiness check: a dead store must not take serving down.
    /// </summary>
    public static IHostApplicationBuilder AddObjectStore(this IHostApplicationBuilder builder, string connectionName = "storage")
    {
        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (configuration.GetConnectionString(connectionName) is { Length: > 0 } connectionString)
                {
                    options.ApplyConnectionString(connectionString, connectionName);
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IObjectStore, S3ObjectStore>();
        builder.Services.AddSingleton<ObjectStoreMonitor>().AddHostedService(provider => provider.GetRequiredService<ObjectStoreMonitor>());
        return builder;
    }
}
