using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace AiFactory.Benchmarks;

/// <summary>
/// The gateway as its own process in front of one or more <see cref="ServerProcess"/> replicas, with a real Redis and a
/// real PostgreSQL of its own (temporary folders), configured as the AppHost configures them in its local mode: Redis
/// through <c>scripts/run-redis.sh</c> with a password and the AppHost's memory policy, PostgreSQL through
/// <c>scripts/run-postgres.sh</c> with the gateway's own role, the object store (the registry's artifacts) as s3rver
/// from the repository's node_modules.
/// </summary>
public sealed class GatewayStack : IAsyncDisposable
{
    // The AppHost's defaults (RedisMemoryPolicy): cached answers are evicted, rate-limit state never.
    private static readonly string[] RedisMemoryPolicy = ["--maxmemory", "256mb", "--maxmemory-policy", "volatile-lru"];

    // s3rver's fixed credentials and the AppHost's bucket (StorageResources, LocalStorageResource).
    private const string StorageCredentials = "S3RVER";
    private const string StorageBucket = "aifactory";

    private readonly List<Process> _processes = [];
    private readonly string _directory;

    // AIFACTORY_BENCH_GATEWAY_LOG names a file that receives the gateway's console output (its log: Warning and above
    // unless AIFACTORY_BENCH_GATEWAY_ENV says otherwise); discarded without it.
    private readonly TextWriter _gatewayLog = Environment.GetEnvironmentVariable("AIFACTORY_BENCH_GATEWAY_LOG") is { Length: > 0 } path
        ? TextWriter.Synchronized(new StreamWriter(path, append: true) { AutoFlush = true })
        : TextWriter.Null;
    private Process _gateway = null!;
    private Process _redis = null!;
    private Process _postgres = null!;
    private string _adminKey = "";

    private GatewayStack(string directory) => _directory = directory;

    public Uri Http { get; private set; } = null!;

    public Uri Grpc { get; private set; } = null!;

    /// <summary>CPU time the gateway process has used so far (all its threads).</summary>
    public TimeSpan GatewayCpu()
    {
        _gateway.Refresh();
        return _gateway.TotalProcessorTime;
    }

    /// <summary>An API key with the infer scope and limits that never refuse, made through the admin API as a user would.</summary>
    public string InferKey { get; private set; } = "";

    /// <summary>
    /// The stack's processes, for their memory: the gateway, and every process of Redis and of PostgreSQL (what their
    /// scripts started: redis-server; the postmaster with its backends and workers).
    /// </summary>
    public IReadOnlyList<ProcessGroup> Processes =>
    [
        new("gateway", () => [_gateway.Id]),
        new("redis-server", () => ProcessGroup.DescendantsOf(_redis.Id)),
        new("postgres", () => ProcessGroup.DescendantsOf(_postgres.Id)),
    ];

    public static async Task<GatewayStack> StartAsync(IReadOnlyList<ServerProcess> replicas)
    {
        var directory = Directory.CreateTempSubdirectory("aifactory-bench-gateway-");
        // PostgreSQL runs as its own user when this runs as root; it must be able to enter the folder.
        if (!OperatingSystem.IsWindows())
        {
            directory.UnixFileMode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        }

        var stack = new GatewayStack(directory.FullName);
        try
        {
            await stack.StartAsync(replicas, directory.FullName);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client of the admin API, with the bootstrap admin key.</summary>
    public HttpClient AdminClient() => new() { BaseAddress = Http, DefaultRequestHeaders = { Authorization = new("Bearer", _adminKey) } };

    /// <summary>
    /// Makes an API key with the infer scope through the admin API, as an operator would; without limits given, its
    /// limits never refuse (the rate-limit script still runs on every request). Returns the key's id and plaintext.
    /// </summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(string name, string[]? models = null, double requestsPerSecond = 1_000_000,
        int burst = 1_000_000, int maxConcurrency = 100_000)
    {
        using var admin = AdminClient();
        using var created = await admin.PostAsJsonAsync("/api/admin/keys", new JsonObject
        {
            ["name"] = name, ["scopes"] = new JsonArray("infer"),
            ["models"] = models is null ? null : new JsonArray([.. models.Select(model => JsonValue.Create(model))]),
            ["requests_per_second"] = requestsPerSecond, ["burst"] = burst, ["max_concurrency"] = maxConcurrency,
        });
        created.EnsureSuccessStatusCode();
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        return (body["details"]!["id"]!.GetValue<string>(), body["key"]!.GetValue<string>());
    }

    private async Task StartAsync(IReadOnlyList<ServerProcess> replicas, string directory)
    {
        var (redisPort, postgresPort, storagePort) = (LocalPorts.Free(), LocalPorts.Free(), LocalPorts.Free());
        var secrets = new Secrets(Secret(), Secret(), Secret(), Convert.ToHexString(RandomNumberGenerator.GetBytes(24)));
        _adminKey = secrets.AdminKey;

        _redis = Start("bash", [Path.Combine(Paths.Root, "scripts", "run-redis.sh"), "--port", redisPort.ToString(), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", .. RedisMemoryPolicy], new() { ["REDIS_PASSWORD"] = secrets.Redis });
        _postgres = Start("bash", [Path.Combine(Paths.Root, "scripts", "run-postgres.sh"), postgresPort.ToString(), Path.Combine(directory, "postgres"), "aifactory"],
            new() { ["POSTGRES_PASSWORD"] = secrets.Postgres, ["GATEWAY_DB_PASSWORD"] = secrets.GatewayDatabase });
        Start("node", [Path.Combine(Paths.Root, "node_modules", "s3rver", "bin", "s3rver.js"), "--directory", Directory.CreateDirectory(Path.Combine(directory, "storage")).FullName,
            "--address", "127.0.0.1", "--port", storagePort.ToString(), "--configure-bucket", StorageBucket, "--no-vhost-buckets"], []);
        await WaitUntilAsync(() => Connects(postgresPort), "PostgreSQL");
        await WaitUntilAsync(() => Connects(storagePort), "the object store");

        var configuration = typeof(GatewayStack).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var gateway = Path.Combine(Paths.Root, "AiFactory.Gateway", "bin", configuration, "net10.0", "AiFactory.Gateway.dll");
        for (var attempt = 1; ; attempt++)
        {
            var ports = new Ports(redisPort, postgresPort, storagePort, LocalPorts.Free(), LocalPorts.Free(), LocalPorts.Free());
            Http = new Uri($"http://127.0.0.1:{ports.Http}");
            Grpc = new Uri($"http://127.0.0.1:{ports.Grpc}");
            _gateway = Start("dotnet", [gateway], GatewayEnvironment(ports, secrets, replicas), workingDirectory: Path.GetDirectoryName(gateway));
            using var http = new HttpClient { BaseAddress = Http };
            try
            {
                await WaitUntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, "the gateway");
                break;
            }
            catch (InvalidOperationException) when (_gateway.HasExited && attempt < 3)
            {
                // On a busy machine a port found free can be taken before the gateway binds it (its log says so):
                // another try with other ports.
                Console.Error.WriteLine($"the gateway exited during its start (code {_gateway.ExitCode}); starting it again on other ports");
                _processes.Remove(_gateway);
                _gateway.Dispose();
            }
        }

        InferKey = (await CreateKeyAsync("benchmark")).Key;
    }

    /// <summary>
    /// Everything the gateway process is given, in one place: as the AppHost gives it (endpoints, connection strings,
    /// every inference replica's addresses, the bootstrap key), plus <c>AIFACTORY_BENCH_GATEWAY_ENV</c>.
    /// </summary>
    private Dictionary<string, string> GatewayEnvironment(Ports ports, Secrets secrets, IReadOnlyList<ServerProcess> replicas)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // The gateway's appsettings.json names its Kestrel endpoints; these replace them.
            ["Kestrel__Endpoints__http__Url"] = Http.ToString(),
            ["Kestrel__Endpoints__grpc__Url"] = Grpc.ToString(),
            ["Kestrel__Endpoints__management__Url"] = $"http://127.0.0.1:{ports.Management}",
            ["ConnectionStrings__cache"] = $"127.0.0.1:{ports.Redis},password={secrets.Redis}",
            // The gateway's own role, as everywhere (run-postgres.sh makes it).
            ["ConnectionStrings__aifactory"] = $"Host=127.0.0.1;Port={ports.Postgres};Username=aifactory_gateway;Password={secrets.GatewayDatabase};Database=aifactory",
            ["ConnectionStrings__storage"] = $"Endpoint=http://127.0.0.1:{ports.Storage};AccessKey={StorageCredentials};SecretKey={StorageCredentials};" +
                                             $"Bucket={StorageBucket};Region=us-east-1;ChunkedUploads=false;ServerSideCopy=false",
            ["Gateway__ApiKeys__BootstrapAdminKey"] = secrets.AdminKey,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        for (var i = 0; i < replicas.Count; i++)
        {
            // The service-discovery keys the AppHost sets (InferenceExtensions.WithInference): one destination per replica.
            environment[$"services__inference__http__{i}"] = replicas[i].Http.ToString();
            environment[$"services__inference__grpc__{i}"] = replicas[i].Grpc.ToString();
        }

        foreach (var setting in Environment.GetEnvironmentVariable("AIFACTORY_BENCH_GATEWAY_ENV")?.Split(';', StringSplitOptions.RemoveEmptyEntries) ?? [])
        {
            // Extra gateway settings for experiments, e.g. "DOTNET_gcServer=0" (like AIFACTORY_BENCH_SERVER_ENV).
            environment[setting.Split('=', 2)[0]] = setting.Split('=', 2)[1];
        }

        return environment;
    }

    private sealed record Ports(int Redis, int Postgres, int Storage, int Http, int Grpc, int Management);

    private sealed record Secrets(string Redis, string Postgres, string GatewayDatabase, string AdminKey);

    private static string Secret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private Process Start(string file, string[] arguments, Dictionary<string, string> environment, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? _directory,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var isGateway = file == "dotnet";
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null && isGateway)
            {
                _gatewayLog.WriteLine(line.Data);
            }
        };
        // Only the gateway's errors matter to a reader; PostgreSQL logs its routine start and stop to stderr.
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null && isGateway)
            {
                Console.Error.WriteLine($"[gateway] {line.Data}");
                _gatewayLog.WriteLine(line.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private async Task WaitUntilAsync(Func<Task<bool>> ready, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await ready())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (_processes.FirstOrDefault(p => p.HasExited) is { } exited)
            {
                throw new InvalidOperationException($"{exited.StartInfo.FileName} exited with {exited.ExitCode} while waiting for {what}");
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{what} did not become ready within 120 s");
    }

    private static async Task<bool> Connects(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            // run-postgres.sh creates the database just after the port opens; give it that moment.
            await Task.Delay(1000);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Gateway first (it flushes usage), then the servers; SIGTERM lets each stop cleanly.
        foreach (var process in Enumerable.Reverse(_processes))
        {
            if (!process.HasExited)
            {
                // SIGTERM, as a container runtime stops a process (Process.Kill would be SIGKILL), to the process and
                // what it started: run-redis.sh's bash would die alone and leave its redis-server running.
                var family = ProcessGroup.DescendantsOf(process.Id).Prepend(process.Id).Select(pid => pid.ToString());
                using (var term = Process.Start("kill", ["-TERM", .. family]))
                {
                    term.WaitForExit();
                }

                if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            process.Dispose();
        }

        // The log is flushed on every line and not disposed: the gateway's last lines may still arrive on another thread.
        await Task.Run(() => Directory.Delete(_directory, recursive: true));
    }
}
