using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.AppHost;

/// <summary>
/// The published Aspire manifest stays inside what Aspirate reads (DESIGN.md §5), and nothing of the no-container
/// fallback leaks into it.
/// </summary>
public sealed partial class ManifestTests
{
    private static readonly HashSet<string> AspirateTypes =
        ["project.v0", "container.v0", "container.v1", "dockerfile.v0", "value.v0", "parameter.v0"];

    private static readonly Lazy<Task<JsonObject>> Manifest = new(PublishAsync);

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
    public async Task Services_are_projects_and_redis_and_postgres_are_containers()
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
    }

    [Fact]
    public async Task Nothing_of_the_local_server_fallback_is_published()
    {
        var text = (await Manifest.Value).ToJsonString();
        Assert.DoesNotContain("run-postgres.sh", text);
        Assert.DoesNotContain("redis-server\"", text);
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
        Assert.Contains("Database=aifactory", gatewayEnv["ConnectionStrings__aifactory"]!.GetValue<string>());
        Assert.Equal("{inference.bindings.http.url}", gatewayEnv["services__inference__http__0"]!.GetValue<string>());

        var external = resources
            .Where(pair => pair.Value!["bindings"] is JsonObject bindings
                            && bindings.Any(binding => binding.Value!["external"]?.GetValue<bool>() == true))
            .Select(pair => pair.Key);
        Assert.Equal(["gateway"], external);
    }

    private static async Task<JsonObject> PublishAsync()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("aifactory-manifest-").FullName, "aspire-manifest.json");
        var configuration = typeof(ManifestTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var start = new ProcessStartInfo("dotnet",
            ["run", "--project", Path.Combine(RepositoryPaths.Root, "AiFactory.AppHost"), "--no-build", "-c", configuration, "--",
             "--publisher", "manifest", "--output-path", output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"publishing failed ({process.ExitCode}): {await stdout}{await stderr}");
        return JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsObject();
    }

    // {resource.property...}: the first segment names a resource.
    [GeneratedRegex(@"\{([a-zA-Z0-9-]+)\.(?:bindings|connectionString|value|inputs)")]
    private static partial Regex ExpressionPattern();
}
