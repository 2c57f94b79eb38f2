using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// The real AppHost, started once for the tests that share it: Redis, PostgreSQL, inference replicas, gateway
/// and dashboard, every resource healthy before the first test runs. Data lives in a fresh temporary folder.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    /// <summary>The inference replicas as the AppHost runs them locally: one resource each (two by default).</summary>
    public static readonly string[] InferenceReplicas = ["inference-1", "inference-2"];

    public static readonly string[] Resources = ["cache", "postgres", .. InferenceReplicas, "gateway", "dashboard"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly RecordingLoggerProvider _log = new();
    private readonly string _dataDirectory = CreateDataDirectory();

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The last lines of the AppHost's log (resources' included), for failure messages.</summary>
    public string RecentLog => _log.ToString();

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

    /// <summary>
    /// A client for the gateway's REST endpoint, the way a client of the application calls it. Every test that calls
    /// the gateway goes through here or <see cref="CreateGatewayGrpcChannel"/> (see <see cref="GatewayClients"/>).
    /// A plain client: the testing builder's default clients retry 5xx answers and transport errors, which would
    /// hide the gateway's own failures.
    /// </summary>
    public HttpClient CreateGatewayClient() => GatewayClients.Prepare(new HttpClient { BaseAddress = App.GetEndpoint("gateway", "http") });

    /// <summary>A gRPC channel to the gateway's HTTP/2 endpoint; see <see cref="CreateGatewayClient"/>.</summary>
    public GrpcChannel CreateGatewayGrpcChannel() => GatewayClients.Channel(App.GetEndpoint("gateway", "grpc"));

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
