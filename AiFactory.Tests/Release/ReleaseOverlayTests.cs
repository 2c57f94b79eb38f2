using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Release;

/// <summary>
/// scripts/release-overlay.sh, the kustomization every deploy of the release workflow applies (scripts/deploy.sh:
/// staging, production, rollback), rendered with <c>kubectl kustomize</c> exactly as <c>kubectl apply -k</c> reads it.
/// </summary>
public sealed class ReleaseOverlayTests
{
    private const string Registry = "ghcr.io/acme";

    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData("gpu", "cuda")]
    public async Task Release_overlay_takes_every_aifactory_image_from_the_registry_at_the_version(string overlay, string variant)
    {
        var rendered = await ManifestTools.RenderAsync(await WriteAsync(overlay, Registry, "1.2.3"));
        Assert.True(rendered.Errors.Count == 0, string.Join('\n', rendered.Errors));

        var images = rendered.Workloads.SelectMany(w => Rendered.Containers(w)).Select(c => (string)c["image"]!).Order().ToList();
        Assert.Equal(
            [
                "docker.io/chrislusf/seaweedfs:4.47",
                "docker.io/library/postgres:18.3",
                "docker.io/library/redis:8.6",
                $"{Registry}/aifactory/dashboard:1.2.3",
                $"{Registry}/aifactory/gateway:1.2.3",
                $"{Registry}/aifactory/inference:1.2.3-{variant}",
            ],
            images);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public async Task Release_overlay_changes_nothing_but_the_images(string overlay)
    {
        var released = await ManifestTools.RenderAsync(await WriteAsync(overlay, Registry, "2.0.0-rc.1"));
        var original = await ManifestTools.RenderAsync($"overlays/{overlay}");

        Assert.Equal(original.Objects.Select(WithoutImages), released.Objects.Select(WithoutImages));
    }

    /// <summary>YAML injection: a version that carries a newline and a key of its own, to point an image elsewhere.</summary>
    [Theory]
    [InlineData("1.2.3\n  newName: evil.example/aifactory/gateway", "is not a release version")]
    [InlineData("latest", "is not a release version")]
    [InlineData("1.2.3 # comment", "is not a release version")]
    public async Task Release_overlay_refuses_a_version_that_is_not_semver_and_writes_nothing(string version, string message)
    {
        var output = Directory.CreateTempSubdirectory("aifactory-release-").FullName;
        var result = await RunScriptAsync("cpu", Registry, version, output);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"release-overlay: '{version}' {message}", result.Error);
        Assert.False(File.Exists(Path.Combine(output, "kustomization.yaml")));
    }

    /// <summary>YAML injection or a registry that is not one: only a lowercase registry path is accepted.</summary>
    [Theory]
    [InlineData("ghcr.io/acme\n- name: docker.io/library/redis", "is not a registry path")]
    [InlineData("GHCR.io/Acme", "is not a registry path")]
    [InlineData("ghcr.io/acme/", "is not a registry path")]
    public async Task Release_overlay_refuses_a_registry_that_is_not_a_registry_path(string registry, string message)
    {
        var result = await RunScriptAsync("gpu", registry, "1.2.3", Directory.CreateTempSubdirectory("aifactory-release-").FullName);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"release-overlay: '{registry}' {message}", result.Error);
    }

    [Fact]
    public async Task Release_overlay_refuses_an_overlay_other_than_cpu_or_gpu()
    {
        var result = await RunScriptAsync("../../../etc", Registry, "1.2.3", Directory.CreateTempSubdirectory("aifactory-release-").FullName);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("release-overlay: the overlay must be cpu or gpu, not '../../../etc'", result.Error);
    }

    private static async Task<string> WriteAsync(string overlay, string registry, string version)
    {
        var output = Directory.CreateTempSubdirectory("aifactory-release-").FullName;
        var result = await RunScriptAsync(overlay, registry, version, output);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(output, result.Output.Trim());
        return output;
    }

    private static Task<CommandResult> RunScriptAsync(params string[] arguments) =>
        ManifestTools.RunToEndAsync("bash", [Path.Combine(RepositoryPaths.Root, "scripts", "release-overlay.sh"), .. arguments], RepositoryPaths.Root);

    private static string WithoutImages(System.Text.Json.Nodes.JsonObject o)
    {
        var copy = o.DeepClone().AsObject();
        if ((string?)copy["kind"] is "Deployment" or "StatefulSet")
        {
            foreach (var container in Rendered.Containers(copy))
            {
                container.Remove("image");
            }
        }

        return copy.ToJsonString();
    }
}
