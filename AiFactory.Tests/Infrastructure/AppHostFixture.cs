using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// The real AppHost, started once for the tests that share it: Redis, PostgreSQL, the object store, inference replicas, gateway
/// and dashboard, every resource healthy and the sample models served by every replica before the first test runs.
/// Data lives in a fresh temporary folder; the registry's models come from a folder of its own (<see cref="Models"/>).
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    /// <summary>The inference replicas as the AppHost runs them locally: one resource each (two by default).</summary>
    public static readonly string[] InferenceReplicas = ["inference-1", "inference-2"];

    public static readonly string[] Resources = ["cache", "postgres", "storage", .. InferenceReplicas, "gateway", "dashboard"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    // The samples' seed: each is uploaded, validated on a replica (load, smoke, latency profile), then loaded and warmed
    // by every replica; on a machine shared by many builds that takes minutes of its own.
    private static readonly TimeSpan SeedTimeout = TimeSpan.FromMinutes(6);

    private readonly RecordingLoggerProvider _log = new();
    private readonly string _dataDirectory = CreateDataDirectory();

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The bootstrap admin key the AppHost gives the gateway (parameter <c>gateway-admin-key</c>).</summary>
    public string AdminKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>The models folder the registry imports at its first start: the sample models.</summary>
    public ModelFolder Models { get; } = CreateModelRepository();

    /// <summary>The OTLP collector every service of the AppHost exports its traces to (see <see cref="ExportTracesTo"/>).</summary>
    public OtlpReceiver Traces { get; private set; } = null!;

    /// <summary>Where the AppHost keeps its servers' data and each replica's model cache (<c>replicas/&lt;replica&gt;/models</c>).</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>The last lines of the AppHost's log (resources' included), for failure messages.</summary>
    public string RecentLog => _log.ToString();

    public async Task InitializeAsync()
    {
        // The way scripts/start.sh gives it: through the environment, never as an argument (which ps shows).
        Environment.SetEnvironmentVariable("Parameters__gateway_admin_key", AdminKey);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AiFactory_AppHost>(
        [
            $"--Infrastructure:DataDirectory={_dataDirectory}",
            $"--ModelRepository:Path={Models.Path}",
            // The registry imports the same folder at first start, as it imports the repository's models/ under F5.
            $"--Registry:SeedPath={Models.Path}",
        ]).WaitAsync(StartTimeout);
        builder.Services.AddLogging(logging => logging.AddProvider(_log));
        Traces = await OtlpReceiver.StartAsync();
        ExportTracesTo(builder, Traces.Endpoint);
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

        using var seeded = new CancellationTokenSource(SeedTimeout);
        try
        {
            // The gateway's seeder imports the samples (uploaded, validated, 100 % on version 1); the replicas then load them.
            foreach (var sample in new[] { SampleModels.TextDirection, SampleModels.TextDetection })
            {
                await WaitUntilObservedAsync(sample, new Dictionary<int, int> { [1] = 100 }, seeded.Token);
            }
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"The sample models were not served by every replica within {SeedTimeout} of the AppHost being healthy. Its log:\n{_log}", e);
        }
    }

    /// <summary>
    /// Points every service's OTLP exporter at <paramref name="endpoint"/>, the way a cluster points it at its collector.
    /// Added after the AppHost's own environment callbacks, so it wins over the Aspire dashboard's endpoint. Spans are
    /// sent every 200 ms (the SDK's default is 5 s) so that a test waits for them briefly.
    /// </summary>
    private static void ExportTracesTo(IDistributedApplicationTestingBuilder builder, Uri endpoint)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(environment =>
            {
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint.ToString().TrimEnd('/');
                environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
            }));
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

    private static ModelFolder CreateModelRepository()
    {
        var models = new ModelFolder();
        foreach (var sample in new[] { SampleModels.TextDirection, SampleModels.TextDetection, SampleModels.TextRecognition })
        {
            models.WriteConfig(sample, File.ReadAllText(Path.Combine(RepositoryPaths.Models, sample, "config.json")));
            models.AddVersion(sample, 1, sample);
        }

        // Laid out as scripts/fetch-models.sh does: the recognizer's dictionary beside its config.json, a file the
        // repository loader must pass over.
        const string dictionary = "ppocr_keys_v1.txt";
        File.Copy(Path.Combine(RepositoryPaths.Models, SampleModels.TextRecognition, dictionary),
            Path.Combine(models.Path, SampleModels.TextRecognition, dictionary));
        return models;
    }

    public HttpClient CreateHttpClient(string resource) => App.CreateHttpClient(resource, "http");

    /// <summary>
    /// Waits until the gateway routes <paramref name="model"/> by <paramref name="weights"/> (its observed weights,
    /// <c>aifactory.gateway.traffic.weight</c>): every version with a weight serves on every available replica.
    /// </summary>
    public async Task WaitUntilObservedAsync(string model, IReadOnlyDictionary<int, int> weights, CancellationToken cancellationToken)
    {
        while (true)
        {
            var observed = new Dictionary<int, int>();
            foreach (var version in weights.Keys)
            {
                observed[version] = (int)await GatewayMetricAsync(TrafficWeightMetric, $"model=\"{model}\"", $"version=\"{version}\"", "kind=\"observed\"");
            }

            if (weights.All(weight => observed[weight.Key] == weight.Value))
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>The gateway's desired and observed weights per model and version (Prometheus name).</summary>
    public const string TrafficWeightMetric = "aifactory_gateway_traffic_weight";

    /// <summary>
    /// A client for the gateway's REST endpoint presenting <paramref name="apiKey"/> (the bootstrap admin key by
    /// default), the way a client of the application calls it. Every test that calls the gateway goes through here
    /// or <see cref="CreateGatewayGrpcChannel"/> (see <see cref="GatewayClients"/>). A plain client: the testing
    /// builder's default clients retry 5xx and 429 answers and transport errors, which would hide the gateway's
    /// own failures and limits.
    /// </summary>
    public HttpClient CreateGatewayClient(string? apiKey = null) =>
        GatewayClients.Prepare(new HttpClient { BaseAddress = App.GetEndpoint("gateway", "http") }, apiKey ?? AdminKey);

    /// <summary>
    /// A client of the gateway's own REST endpoint (not the proxy Aspire puts in front of it, through which every
    /// client is 127.0.0.1) connecting from <paramref name="from"/>: the gateway sees that address, as it sees a
    /// client's in a cluster. For tests of what the gateway does per client address.
    /// </summary>
    public HttpClient CreateDirectGatewayClient(System.Net.IPAddress from, string apiKey)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState("gateway", out var state), "gateway has no state");
        var url = state.Snapshot.EnvironmentVariables.Single(variable => variable.Name == "Kestrel__Endpoints__http__Url").Value!;
        return GatewayClients.Prepare(ClientAddresses.ConnectingFrom(from, new Uri(url)), apiKey);
    }

    /// <summary>The sum of a metric's series (Prometheus name) that carry <paramref name="labels"/>, scraped from the gateway's <c>/metrics</c> (its management endpoint).</summary>
    public async Task<double> GatewayMetricAsync(string metric, params string[] labels)
    {
        using var http = new HttpClient { BaseAddress = App.GetEndpoint("gateway", "management") };
        return PrometheusText.Sum(await PrometheusText.ScrapeAsync(http), metric, labels);
    }

    /// <summary>A gRPC channel to the gateway's HTTP/2 endpoint; see <see cref="CreateGatewayClient"/>.</summary>
    public GrpcChannel CreateGatewayGrpcChannel(string? apiKey = null) =>
        GatewayClients.Channel(App.GetEndpoint("gateway", "grpc"), apiKey ?? AdminKey);

    /// <summary>The inference replicas' own HTTP endpoints (not through the gateway), one per replica resource.</summary>
    public IReadOnlyList<Uri> InferenceReplicaEndpoints() => [.. InferenceReplicas.Select(replica => App.GetEndpoint(replica, "http"))];

    /// <summary>Requests a model has counted (<c>inference_count</c>) over every replica and version.</summary>
    public async Task<long> InferenceCountAsync(string model, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var replica in InferenceReplicas)
        {
            total += await InferenceCountAsync(replica, model, cancellationToken);
        }

        return total;
    }

    /// <summary>Requests one replica has counted for a model (<c>inference_count</c>, every version), from its own statistics.</summary>
    public async Task<long> InferenceCountAsync(string replica, string model, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = App.GetEndpoint(replica, "http") };
        var stats = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync($"/v2/models/{model}/stats", cancellationToken))!;
        return stats["model_stats"]!.AsArray().Sum(entry => entry!["inference_count"]!.GetValue<long>());
    }

    /// <summary>What <c>GET /v2/models/{model}/ready</c> answers on each replica, asked directly: 200 ready, 503 not, 404 unknown.</summary>
    public async Task<HttpStatusCode[]> ModelReadinessAsync(string model, CancellationToken cancellationToken)
    {
        var statuses = new List<HttpStatusCode>();
        foreach (var replica in InferenceReplicaEndpoints())
        {
            using var http = new HttpClient { BaseAddress = replica };
            using var response = await http.GetAsync($"/v2/models/{model}/ready", cancellationToken);
            statuses.Add(response.StatusCode);
        }

        return [.. statuses];
    }

    /// <summary>
    /// Waits until every replica answers <paramref name="expected"/> for the model's readiness (a registry change
    /// reaches them at once; a model taken out keeps serving for Registry:UnloadDelay, 10 s).
    /// </summary>
    public async Task WaitForModelReadinessAsync(string model, HttpStatusCode expected, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        HttpStatusCode[] statuses;
        while ((statuses = await ModelReadinessAsync(model, CancellationToken.None).WaitAsync(timeout)).Any(status => status != expected))
        {
            Assert.True(deadline.Elapsed < timeout,
                $"'{model}' readiness on {string.Join(", ", InferenceReplicas)}: {string.Join(", ", statuses.Select(status => (int)status))}, expected {(int)expected} on each");
            await Task.Delay(200);
        }
    }

    /// <summary>Puts a copy of the classifier in the registry as <paramref name="model"/>, 100 % on it, and waits until every replica serves it.</summary>
    public async Task AddModelAsync(string model, TimeSpan timeout)
    {
        var config = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Models, SampleModels.TextDirection, "config.json"));
        await ServeModelAsync(model, await File.ReadAllBytesAsync(RepositoryPaths.Model(SampleModels.TextDirection)), config);
        await WaitForModelReadinessAsync(model, HttpStatusCode.OK, timeout);
    }

    /// <summary>
    /// Makes <paramref name="onnx"/> version 1 of <paramref name="model"/> in the registry (unless it has a version
    /// already) with 100 % of its traffic: the replicas then try to serve it, whatever the bytes are.
    /// </summary>
    public async Task ServeModelAsync(string model, byte[] onnx, string config)
    {
        await using var registry = RegistryTables.Of(this);
        if (await registry.ScalarAsync<long>("SELECT count(*) FROM model_versions WHERE model = $1", model) == 0)
        {
            await registry.UploadVersionAsync(model, onnx, config);
        }

        await registry.SetTrafficAsync(model, new Dictionary<int, int> { [1] = 100 });
    }

    /// <summary>Takes <paramref name="model"/> out of the traffic policies and waits until no replica knows it any more.</summary>
    public async Task RemoveModelAsync(string model, TimeSpan timeout)
    {
        await using (var registry = RegistryTables.Of(this))
        {
            await registry.WithdrawAsync(model);
        }

        await WaitForModelReadinessAsync(model, HttpStatusCode.NotFound, timeout);
    }

    /// <summary>Runs a resource command (<see cref="KnownResourceCommands"/>) and waits for the resource to get there.</summary>
    public async Task StopResourceAsync(string resource, CancellationToken cancellationToken)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand, cancellationToken);
        Assert.True(result.Success, $"stopping {resource}: {result.Message}");
    }

    /// <summary>
    /// Kills a resource's process tree (SIGKILL), as a crash or an evicted pod dies, and waits until Aspire sees it
    /// stopped. Aspire's stop command drains gracefully, and on a loaded machine gives up before the drain ends.
    /// </summary>
    public async Task KillResourceAsync(string resource, CancellationToken cancellationToken)
    {
        using (var process = ProcessOf(resource))
        {
            process.Kill(entireProcessTree: true);
        }

        await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, cancellationToken);
    }

    /// <summary>
    /// Starts <paramref name="resource"/> and waits until it is healthy; for Redis and PostgreSQL, also until the
    /// gateway's own clients reach them again. Aspire's health check proves the server answers, not that the gateway
    /// has reconnected: a test run next would otherwise see the gateway still degraded (rate limits local, no bucket
    /// in Redis).
    /// </summary>
    public async Task StartResourceAsync(string resource, CancellationToken cancellationToken)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        Assert.True(result.Success, $"starting {resource}: {result.Message}");
        try
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken);
        }
        catch (DistributedApplicationException e)
        {
            // It exited instead of becoming healthy: what it logged is the only account of why.
            throw new InvalidOperationException($"{resource} did not start again: {e.Message}. The AppHost's log:\n{RecentLog}", e);
        }

        if (GatewayServiceOf(resource) is { } service)
        {
            await WaitUntilTheGatewayReachesAsync(service, cancellationToken);
        }
    }

    /// <summary>The name the gateway's overview gives the dependency an AppHost resource is, if it is one.</summary>
    private static string? GatewayServiceOf(string resource) => resource switch
    {
        "cache" => "cache",
        "postgres" => "database",
        _ => null,
    };

    private async Task WaitUntilTheGatewayReachesAsync(string service, CancellationToken cancellationToken)
    {
        using var admin = CreateGatewayClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var overview = JsonNode.Parse(await admin.GetStringAsync("/api/admin/overview", cancellationToken))!;
                var health = overview["services"]!.AsArray().Single(entry => entry!["name"]!.GetValue<string>() == service)!;
                if (health["healthy"]!.GetValue<bool>())
                {
                    return;
                }

                last = health.ToJsonString();
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(250, cancellationToken);
        }

        Assert.Fail($"the gateway did not reach {service} within 60 s of its restart: {last}");
    }

    /// <summary>
    /// The operating-system process of <paramref name="resource"/>: the executable Aspire started, or for a project
    /// the application itself. Aspire starts a project through <c>dotnet run</c> and reports that command's process,
    /// a launcher that only waits for the application it started; its memory says nothing about the application's.
    /// </summary>
    public Process ProcessOf(string resource)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"{resource} has no state");
        var pid = Convert.ToInt32(state.Snapshot.Properties.Single(property => property.Name == "executable.pid").Value);
        var isProject = state.Snapshot.Properties.Any(property => property.Name == "resource.launchConfigurationType" && Equals(property.Value, "project"));
        if (isProject && OperatingSystem.IsLinux())
        {
            var children = LocalProcesses.ChildrenOf(pid);
            Assert.True(children.Count == 1, $"{resource}'s launcher (pid {pid}) has {children.Count} child processes; expected its application alone");
            pid = children[0];
        }

        return Process.GetProcessById(pid);
    }

    /// <summary>The environment <paramref name="resource"/>'s process started with: the configuration it was given.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentOf(string resource)
    {
        using var process = ProcessOf(resource);
        return LocalProcesses.EnvironmentOf(process.Id) ?? throw new InvalidOperationException($"{resource}'s environment cannot be read");
    }

    /// <summary>Everything the AppHost and its resources have logged so far (information and up).</summary>
    public string FullLog => _log.AllLines();

    /// <summary>
    /// The resident memory (RSS) of <paramref name="resource"/> now, in bytes: its process (for a project, the service
    /// itself rather than its <c>dotnet run</c> launcher) and every process under it.
    /// </summary>
    public long ResidentBytes(string resource)
    {
        using var process = ProcessOf(resource);
        return LocalProcesses.DescendantsOf(process.Id).Append(process.Id).Sum(ResidentBytesOf);
    }

    private static long ResidentBytesOf(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.WorkingSet64;
        }
        catch (ArgumentException)
        {
            return 0; // ended meanwhile
        }
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
            await App.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));
        }

        if (Traces is not null)
        {
            await Traces.DisposeAsync();
        }

        Models.Dispose();
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
