using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiFactory.AppHost.Infrastructure;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>
/// The published Aspire manifest stays inside what Aspirate reads (DESIGN.md §5), and nothing of the no-container
/// fallback leaks into it.
/// </summary>
public sealed partial class AspireManifestTests
{
    private static readonly HashSet<string> AspirateTypes =
        ["project.v0", "container.v0", "container.v1", "dockerfile.v0", "value.v0", "parameter.v0"];

    private static readonly Lazy<Task<JsonObject>> Manifest = new(ManifestTools.AspireManifestAsync);

    [Fact]
    public async Task Every_resource_has_a_type_aspirate_reads()
    {
        var resources = (await Manifest.Value)["resources"]!.AsObject();
        foreach (var (name, resource) in resources)
        {
            var type = resource!["type"]!.GetValue<string>();
            Assert.True(AspirateTypes.Contains(type), $"resource '{name}' has type {type}, which Aspirate skips");
        }
    }

    [Fact]
    public async Task Services_are_projects_and_redis_postgres_and_storage_are_containers()
    {
        var resources = (await Manifest.Value)["resources"]!.AsObject();
        foreach (var service in new[] { "inference", "gateway", "dashboard" })
        {
            Assert.Equal("project.v0", resources[service]!["type"]!.GetValue<string>());
        }

        Assert.Equal("container.v0", resources["cache"]!["type"]!.GetValue<string>());
        Assert.StartsWith("docker.io/library/redis:", resources["cache"]!["image"]!.GetValue<string>());
        Assert.Equal("container.v0", resources["postgres"]!["type"]!.GetValue<string>());
        Assert.StartsWith("docker.io/library/postgres:", resources["postgres"]!["image"]!.GetValue<string>());
        Assert.Equal("aifactory", resources["postgres"]!["env"]!["POSTGRES_DB"]!.GetValue<string>());
        Assert.Equal("container.v0", resources["storage"]!["type"]!.GetValue<string>());
        Assert.Equal($"docker.io/chrislusf/seaweedfs:{StorageResources.SeaweedFsTag}", resources["storage"]!["image"]!.GetValue<string>());
    }

    [Fact]
    public async Task Storage_is_seaweedfs_requiring_the_secret_parameters_credentials_kept_out_of_its_arguments()
    {
        var resources = (await Manifest.Value)["resources"]!.AsObject();
        var storage = resources["storage"]!;
        Assert.Equal(8333, storage["bindings"]!["http"]!["targetPort"]!.GetValue<int>());
        Assert.Equal("{storage-access-key.value}", storage["env"]!["S3_ACCESS_KEY"]!.GetValue<string>());
        Assert.Equal("{storage-secret-key.value}", storage["env"]!["S3_SECRET_KEY"]!.GetValue<string>());
        foreach (var parameter in new[] { "storage-access-key", "storage-secret-key" })
        {
            Assert.True(resources[parameter]!["inputs"]!["value"]!["secret"]!.GetValue<bool>(), $"{parameter} must be a secret parameter");
        }

        var command = storage["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal(["-c", StorageResources.SeaweedFsCommand], command);
        Assert.Contains("-s3.config=/tmp/s3.json", command[1]);
        Assert.DoesNotContain("{storage-", string.Join(' ', command));
    }

    [Fact]
    public async Task Nothing_of_the_local_server_fallback_is_published()
    {
        var text = (await Manifest.Value).ToJsonString();
        Assert.DoesNotContain("run-postgres.sh", text);
        Assert.DoesNotContain("redis-server\"", text);
        Assert.DoesNotContain("s3rver", text);
        Assert.DoesNotContain("executable", text);
        Assert.DoesNotContain(".data", text);
    }

    [Fact]
    public async Task Every_expression_points_at_a_resource_in_the_manifest()
    {
        var manifest = await Manifest.Value;
        var names = manifest["resources"]!.AsObject().Select(pair => pair.Key).ToHashSet();
        var expressions = ExpressionPattern().Matches(manifest.ToJsonString()).Select(match => match.Groups[1].Value).ToList();

        Assert.NotEmpty(expressions);
        foreach (var target in expressions)
        {
            Assert.True(names.Contains(target), $"an expression points at '{target}', which is not in the manifest");
        }
    }

    [Fact]
    public async Task Gateway_gets_its_connections_and_is_the_only_external_service()
    {
        var resources = (await Manifest.Value)["resources"]!.AsObject();
        var gatewayEnv = resources["gateway"]!["env"]!.AsObject();
        Assert.Equal("{cache.bindings.tcp.host}:{cache.bindings.tcp.port},password={cache-password.value}",
            gatewayEnv["ConnectionStrings__cache"]!.GetValue<string>());
        // Its own role, never the superuser (manifests/overlays/common/postgres-init/gateway-role.sql makes it).
        Assert.Equal("Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=aifactory_gateway;Password={gateway-db-password.value};Database=aifactory",
            gatewayEnv["ConnectionStrings__aifactory"]!.GetValue<string>());
        Assert.DoesNotContain("postgres-password", gatewayEnv.ToJsonString());
        Assert.Equal("{gateway-db-password.value}", resources["postgres"]!["env"]!["GATEWAY_DB_PASSWORD"]!.GetValue<string>());
        Assert.Equal("{inference.bindings.http.url}", gatewayEnv["services__inference__http__0"]!.GetValue<string>());
        const string storage = "Endpoint={storage.bindings.http.url};AccessKey={storage-access-key.value};SecretKey={storage-secret-key.value};Bucket=aifactory;Region=us-east-1";
        Assert.Equal(storage, gatewayEnv["ConnectionStrings__storage"]!.GetValue<string>());
        Assert.Equal(storage, resources["inference"]!["env"]!["ConnectionStrings__storage"]!.GetValue<string>());

        // Only the gateway's client endpoints are external: not its management port.
        var external = resources
            .SelectMany(resource => (resource.Value!["bindings"]?.AsObject() ?? [])
                .Where(binding => binding.Value!["external"]?.GetValue<bool>() == true)
                .Select(binding => $"{resource.Key}.{binding.Key}"))
            .Order();
        Assert.Equal(["gateway.grpc", "gateway.http"], external);
    }

    [Fact]
    public async Task The_gateway_holds_the_admin_key_and_the_console_no_key_but_the_cache_connection()
    {
        var resources = (await Manifest.Value)["resources"]!.AsObject();
        var gatewayEnv = resources["gateway"]!["env"]!.AsObject();
        var dashboardEnv = resources["dashboard"]!["env"]!.AsObject();

        Assert.Equal("{gateway-admin-key.value}", gatewayEnv["Gateway__ApiKeys__BootstrapAdminKey"]!.GetValue<string>());
        Assert.DoesNotContain("DashboardKey", gatewayEnv.ToJsonString());
        Assert.DoesNotContain("ApiKey", dashboardEnv.ToJsonString());
        Assert.DoesNotContain("gateway-admin-key", dashboardEnv.ToJsonString());
        Assert.Null(resources["dashboard-api-key"]);
        Assert.Equal(gatewayEnv["ConnectionStrings__cache"]!.GetValue<string>(), dashboardEnv["ConnectionStrings__cache"]!.GetValue<string>());
    }

    [Fact]
    public async Task Services_publish_plain_http_endpoints_only()
    {
        // Aspire adds a default https endpoint to projects when publishing; the AppHost drops it (nothing in the
        // cluster serves TLS but the ingress), which also removed inference's https binding on the gRPC port.
        var resources = (await Manifest.Value)["resources"]!.AsObject();
        foreach (var service in new[] { "inference", "gateway", "dashboard" })
        {
            var bindings = resources[service]!["bindings"]!.AsObject();
            Assert.All(bindings, binding => Assert.Equal("http", binding.Value!["scheme"]!.GetValue<string>()));
        }

        var inference = resources["inference"]!["bindings"]!.AsObject();
        Assert.Equal(["grpc", "http", "management"], inference.Select(b => b.Key).Order());
        Assert.Equal(5180, inference["http"]!["targetPort"]!.GetValue<int>());
        Assert.Equal(5181, inference["grpc"]!["targetPort"]!.GetValue<int>());
        Assert.Equal(5182, inference["management"]!["targetPort"]!.GetValue<int>());
        Assert.Equal("http2", inference["grpc"]!["transport"]!.GetValue<string>());
        Assert.DoesNotContain("https", (await Manifest.Value).ToJsonString());
    }

    /// <summary>/metrics is served on each service's management endpoint only, which the ServiceMonitors scrape.</summary>
    [Theory]
    [InlineData("inference", 5182)]
    [InlineData("gateway", 5082)]
    [InlineData("dashboard", 5091)]
    public async Task Every_service_publishes_a_management_endpoint_for_its_metrics(string service, int port)
    {
        var management = (await Manifest.Value)["resources"]![service]!["bindings"]!["management"]!;
        Assert.Equal(port, management["targetPort"]!.GetValue<int>());
        Assert.Equal("http", management["transport"]!.GetValue<string>());
        Assert.Null(management["external"]);
    }

    [Fact]
    public async Task Redis_is_published_with_a_memory_bound_and_an_eviction_policy_that_spares_keys_without_expiry()
    {
        var cache = (await Manifest.Value)["resources"]!["cache"]!;
        Assert.Equal("/bin/sh", (string?)cache["entrypoint"]);
        Assert.Equal("-c", (string?)cache["args"]![0]);
        Assert.Matches(@"^redis-server .* --maxmemory 256mb --maxmemory-policy volatile-lru$", (string?)cache["args"]![1]);
    }

    [Fact]
    public async Task Volumes_have_names_that_do_not_depend_on_where_the_repository_is()
    {
        var resources = (await Manifest.Value)["resources"]!.AsObject();
        Assert.Equal("cache-data", resources["cache"]!["volumes"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("postgres-data", resources["postgres"]!["volumes"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("storage-data", resources["storage"]!["volumes"]![0]!["name"]!.GetValue<string>());
    }

    // {resource.property...}: the first segment names a resource.
    [GeneratedRegex(@"\{([a-zA-Z0-9-]+)\.(?:bindings|connectionString|value|inputs)")]
    private static partial Regex ExpressionPattern();
}
