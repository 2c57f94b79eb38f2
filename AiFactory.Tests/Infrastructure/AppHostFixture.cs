using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// The real AppHost, started once for the tests that share it: Redis, PostgreSQL, inference replicas, gateway
/// and dashboard, every resource healthy before the first test runs. Data lives in a fresh temporary folder.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public static readonly string[] Resources = ["cache", "postgres", "inference", "gateway", "dashboard"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly RecordingLoggerProvider _log = new();
    private readonly string _dataDirectory = CreateDataDirectory();

    public DistributedApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AiFactory_AppHost>(
            [$"--Infrastructure:DataDirectory={_dataDirectory}"]).WaitAsync(StartTimeout);
        builder.Services.AddLogging(logging => logging.AddProvider(_log));
        App = await builder.BuildAsync().WaitAsync(StartTimeout);
        using var cancellation = new CancellationTokenSource(StartTimeout);
        try
        {
            await App.StartAsync(cancellation.Token);
            foreach (var resource in Resources)
            {
                await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellation.Token);
            }
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"The AppHost did not become healthy within {StartTimeout}. Its log:\n{_log}", e);
        }
    }

    // PostgreSQL runs as its own user when the tests run as root, so it must be able to enter the folder.
    private static string CreateDataDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("aifactory-apphost-");
        if (!OperatingSystem.IsWindows())
        {
            directory.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                     | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        }

        return directory.FullName;
    }

    public HttpClient CreateHttpClient(string resource) => App.CreateHttpClient(resource, "http");

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
            await App.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A server may still be flushing; the folder is in the temp directory and harmless.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}
