using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>
/// manifests/base is what Aspirate writes for the AppHost as it is now: change the AppHost and these fail until
/// manifests/ follows (manifests/README.md: publish the manifest, regenerate the base).
/// </summary>
public sealed class BaseDriftTests
{
    private const string Regenerate = "regenerate manifests/ as manifests/README.md says";
    private static readonly HashSet<string> Deployable = ["project.v0", "container.v0", "container.v1"];

    [Fact]
    public async Task Every_project_and_container_has_its_workload_and_service_and_nothing_else_is_deployed()
    {
        var resources = await DeployableResourcesAsync();
        var rendered = await ManifestTools.RenderAsync("base");

        foreach (var (name, resource) in resources)
        {
            var kind = resource["volumes"] is JsonArray { Count: > 0 } ? "StatefulSet" : "Deployment";
            Assert.True(rendered.Find(kind, name) is not null, $"manifests/base has no {kind} '{name}': {Regenerate}");
            Assert.True(rendered.Find("Service", name) is not null, $"manifests/base has no Service '{name}': {Regenerate}");
        }

        var workloads = rendered.Workloads.Select(Rendered.Name).Order();
        Assert.Equal(resources.Keys.Order(), workloads);
    }

    [Fact]
    public async Task Ports_agree_with_the_bindings()
    {
        var rendered = await ManifestTools.RenderAsync("base");
        foreach (var (name, resource) in await DeployableResourcesAsync())
        {
            var expected = Bindings(resource).Select(b => $"{b.Name}:{b.TargetPort}").Order().ToList();

            var service = rendered.Single("Service", name);
            var servicePorts = service["spec"]!["ports"]!.AsArray()
                .Select(p => $"{p!["name"]}:{p["targetPort"]}").Order().ToList();
            Assert.True(expected.SequenceEqual(servicePorts),
                $"Service '{name}' has ports [{string.Join(", ", servicePorts)}], the manifest [{string.Join(", ", expected)}]: {Regenerate}");

            var workload = rendered.Workloads.Single(w => Rendered.Name(w) == name);
            var containerPorts = Rendered.Containers(workload, includeInit: false).Single()["ports"]!.AsArray()
                .Select(p => (int)p!["containerPort"]!).Order().ToList();
            Assert.True(expected.Select(e => int.Parse(e.Split(':')[1])).Order().SequenceEqual(containerPorts),
                $"'{name}' listens on [{string.Join(", ", containerPorts)}], the manifest says [{string.Join(", ", expected)}]: {Regenerate}");
        }
    }

    [Fact]
    public async Task Environment_keys_agree_with_the_manifest()
    {
        var rendered = await ManifestTools.RenderAsync("base");
        foreach (var (name, resource) in await DeployableResourcesAsync())
        {
            // Aspirate drops entries that resolve to nothing (an https URL) and adds ASPNETCORE_URLS to projects.
            var expected = (resource["env"]?.AsObject() ?? [])
                .Where(e => !e.Value!.GetValue<string>().Contains(".bindings.https.url}"))
                .Select(e => e.Key)
                .Concat((string)resource["type"]! == "project.v0" ? ["ASPNETCORE_URLS"] : [])
                .Order().ToList();

            var configMap = rendered.Find("ConfigMap", $"{name}-env");
            var actual = configMap?["data"]?.AsObject().Select(e => e.Key).Order().ToList() ?? [];
            var missing = expected.Except(actual).ToList();
            var extra = actual.Except(expected).ToList();
            Assert.True(missing.Count == 0 && extra.Count == 0,
                $"ConfigMap '{name}-env' lacks [{string.Join(", ", missing)}] and has extra [{string.Join(", ", extra)}]: {Regenerate}");
        }
    }

    [Fact]
    public async Task Committed_aspire_manifest_is_the_published_one()
    {
        var fresh = await ManifestTools.AspireManifestAsync();
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ManifestTools.ManifestsRoot, "aspire-manifest.json")))!;
        Assert.Equal(WithoutPaths(fresh), WithoutPaths(committed));
    }

    [Fact]
    public async Task Containers_use_the_manifest_images()
    {
        var rendered = await ManifestTools.RenderAsync("base");
        foreach (var (name, resource) in (await DeployableResourcesAsync()).Where(r => r.Value["image"] is not null))
        {
            var workload = rendered.Workloads.Single(w => Rendered.Name(w) == name);
            Assert.Equal((string)resource["image"]!, (string)Rendered.Containers(workload).Single()["image"]!);
        }
    }

    internal static async Task<Dictionary<string, JsonObject>> DeployableResourcesAsync() =>
        (await ManifestTools.AspireManifestAsync())["resources"]!.AsObject()
            .Where(r => Deployable.Contains((string)r.Value!["type"]!))
            .ToDictionary(r => r.Key, r => r.Value!.AsObject());

    // Aspirate gives an http (https) binding without a target port 8080 (8443).
    private static IEnumerable<(string Name, int TargetPort)> Bindings(JsonObject resource) =>
        (resource["bindings"]?.AsObject() ?? []).Select(b => (b.Key,
            b.Value!["targetPort"]?.GetValue<int>() ?? (b.Key == "https" ? 8443 : 8080)));

    // Project paths are relative to where the manifest was written.
    private static string WithoutPaths(JsonNode manifest)
    {
        var copy = manifest.DeepClone();
        foreach (var (_, resource) in copy["resources"]!.AsObject())
        {
            resource!.AsObject().Remove("path");
        }

        return copy.ToJsonString();
    }
}
