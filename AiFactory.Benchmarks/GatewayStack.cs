using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace AiFactory.Benchmarks;

/// <summary>
/// The gateway as its own process in front of a <see cref="ServerProcess"/>, with a real Redis and a real
/// PostgreSQL of its own (temporary folders), configured as the AppHost configures it.
/// </summary>
public sealed class GatewayStack : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly string _directory;

    private GatewayStack(string directory) => _directory = directory;

    public Uri Http { get; private set; } = null!;

    /// <summary>CPU time the gateway process has used so far (all its threads).</summary>
    public TimeSpan GatewayCpu()
    {
        var gateway = _processes.Single(process => process.StartInfo.FileName == "dotnet");
        gateway.Refresh();
        return gateway.TotalProcessorTime;
    }

    /// <summary>An API key with the infer scope, made through the admin API as a user would.</summary>
    public string InferKey { get; private set; } = "";

    public static async Task<GatewayStack> StartAsync(ServerProcess inference)
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
            await stack.StartAsync(inference, directory.FullName);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(ServerProcess inference, string directory)
    {
        var (redisPort, postgresPort, gatewayPort, grpcPort, managementPort) =
            (LocalPorts.Free(), LocalPorts.Free(), LocalPorts.Free(), LocalPorts.Free(), LocalPorts.Free());
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var gatewayPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var adminKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

        Start("redis-server", ["--port", redisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], []);
        Start("bash", [Path.Combine(Paths.Root, "scripts", "run-postgres.sh"), postgresPort.ToString(), Path.Combine(directory, "postgres"), "aifactory"],
            new() { ["POSTGRES_PASSWORD"] = password, ["GATEWAY_DB_PASSWORD"] = gatewayPassword });

        var configuration = typeof(GatewayStack).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var gateway = Path.Combine(Paths.Root, "AiFactory.Gateway", "bin", configuration, "net10.0", "AiFactory.Gateway.dll");
        Http = new Uri($"http://127.0.0.1:{gatewayPort}");
        await WaitUntilAsync(() => Connects(postgresPort), "PostgreSQL");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // The gateway's appsettings.json names its Kestrel endpoints; these replace them.
            ["Kestrel__Endpoints__http__Url"] = Http.ToString(),
            ["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel__Endpoints__management__Url"] = $"http://127.0.0.1:{managementPort}",
            ["ConnectionStrings__cache"] = $"127.0.0.1:{redisPort}",
            // The gateway's own role, as everywhere (run-postgres.sh makes it).
            ["ConnectionStrings__aifactory"] = $"Host=127.0.0.1;Port={postgresPort};Username=aifactory_gateway;Password={gatewayPassword};Database=aifactory",
            ["services__inference__http__0"] = inference.Http.ToString(),
            ["services__inference__grpc__0"] = inference.Grpc.ToString(),
            ["Gateway__ApiKeys__BootstrapAdminKey"] = adminKey,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var setting in Environment.GetEnvironmentVariable("AIFACTORY_BENCH_GATEWAY_ENV")?.Split(';', StringSplitOptions.RemoveEmptyEntries) ?? [])
        {
            // Extra gateway settings for experiments, e.g. "DOTNET_gcServer=0" (like AIFACTORY_BENCH_SERVER_ENV).
            environment[setting.Split('=', 2)[0]] = setting.Split('=', 2)[1];
        }

        Start("dotnet", [gateway], environment, workingDirectory: Path.GetDirectoryName(gateway));

        using var http = new HttpClient { BaseAddress = Http };
        await WaitUntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, "the gateway");
        http.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
        // Generous limits: the rate-limit script still runs on every request, it just never refuses one.
        using var created = await http.PostAsJsonAsync("/api/admin/keys", new JsonObject
        {
            ["name"] = "benchmark", ["scopes"] = new JsonArray("infer"), ["requests_per_second"] = 1_000_000, ["burst"] = 1_000_000,
            ["max_concurrency"] = 100_000,
        });
        created.EnsureSuccessStatusCode();
        InferKey = (await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    }

    private void Start(string file, string[] arguments, Dictionary<string, string> environment, string? workingDirectory = null)
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
        process.OutputDataReceived += (_, _) => { };
        // Only the gateway's errors matter to a reader; PostgreSQL logs its routine start and stop to stderr.
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null && file == "dotnet")
            {
                Console.Error.WriteLine($"[gateway] {line.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
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
                // SIGTERM, as a container runtime stops a process (Process.Kill would be SIGKILL).
                using (var term = Process.Start("kill", ["-TERM", process.Id.ToString()]))
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

        await Task.Run(() => Directory.Delete(_directory, recursive: true));
    }
}
