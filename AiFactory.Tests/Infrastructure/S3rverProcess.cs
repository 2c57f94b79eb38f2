using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AiFactory.Storage;
using Microsoft.Extensions.Options;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// A real s3rver (the repository's node_modules, as the AppHost runs it in local mode) on a free loopback port with
/// a data folder of its own, so a test may corrupt its files or stop it without touching the AppHost's.
/// </summary>
public sealed class S3rverProcess : IAsyncDisposable
{
    public const string Bucket = "aifactory";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    private S3rverProcess(Process process, int port, string dataDirectory)
    {
        _process = process;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
        DataDirectory = dataDirectory;
    }

    public Uri Endpoint { get; }

    /// <summary>Where s3rver keeps the bucket: <c>{DataDirectory}/{bucket}/{key}._S3rver_object</c>.</summary>
    public string DataDirectory { get; }

    /// <summary>The connection string the AppHost gives the services in local mode, for this server.</summary>
    public string ConnectionString =>
        $"Endpoint={Endpoint};AccessKey=S3RVER;SecretKey=S3RVER;Bucket={Bucket};Region=us-east-1;ChunkedUploads=false;ServerSideCopy=false";

    /// <summary>Options as the services read them from <see cref="ConnectionString"/>, changed by <paramref name="change"/>.</summary>
    public StorageOptions Options(Action<StorageOptions>? change = null)
    {
        var options = new StorageOptions();
        options.ApplyConnectionString(ConnectionString, "storage");
        change?.Invoke(options);
        return options;
    }

    public S3ObjectStore CreateStore(Action<StorageOptions>? change = null) => new(Microsoft.Extensions.Options.Options.Create(Options(change)));

    /// <summary>The file s3rver keeps an object's bytes in.</summary>
    public string ObjectFile(string key) => Path.Combine(DataDirectory, Bucket, $"{key}._S3rver_object");

    public static async Task<S3rverProcess> StartAsync()
    {
        var bin = Path.Combine(RepositoryPaths.Root, "node_modules", "s3rver", "bin", "s3rver.js");
        Assert.True(File.Exists(bin), $"{bin} is missing: run scripts/install-prerequisites.sh first");
        var dataDirectory = Directory.CreateTempSubdirectory("aifactory-s3rver-").FullName;
        var port = FreePort();
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { bin, "--directory", dataDirectory, "--address", "127.0.0.1", "--port", port.ToString(), "--configure-bucket", Bucket, "--no-vhost-buckets", "--silent" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var server = new S3rverProcess(Process.Start(start)!, port, dataDirectory);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        await server.WaitUntilServingAsync();
        return server;
    }

    private async Task WaitUntilServingAsync()
    {
        using var store = CreateStore(options => options.MaxErrorRetries = 0);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                await store.EnsureBucketAsync(CancellationToken.None);
                return;
            }
            catch (StorageUnavailableException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Kills the server, as a crash or a stopped container would; its port then refuses connections.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // In the temp directory; harmless.
        }
    }

    /// <summary>A loopback port nothing listens on at this moment.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One s3rver shared by the tests of a class.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public S3rverProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await S3rverProcess.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
