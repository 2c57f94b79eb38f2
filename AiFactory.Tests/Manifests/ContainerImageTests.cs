using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>
/// The container properties `aspirate generate` (dotnet publish -t:PublishContainer) builds each image from. No image can
/// be built here (no registry is reachable), so the properties are what is checked.
/// </summary>
public sealed class ContainerImageTests
{
    private static readonly string[] Properties =
        ["ContainerRepository", "ContainerImageTag", "ContainerUser", "ContainerBaseImage", "Version", "InvariantGlobalization"];

    public static TheoryData<string, string> Services => new()
    {
        { "inference", "AiFactory.Inference" },
        { "gateway", "AiFactory.Gateway" },
        { "dashboard", "AiFactory.Dashboard" },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Image_has_its_repository_tag_non_root_user_and_the_ports_the_deployment_uses(string service, string project)
    {
        var evaluated = await EvaluateAsync(project);
        var properties = evaluated["Properties"]!;
        Assert.Equal($"aifactory/{service}", (string?)properties["ContainerRepository"]);
        Assert.Equal((string?)properties["Version"], (string?)properties["ContainerImageTag"]);
        Assert.True(int.TryParse((string?)properties["ContainerUser"], out var user) && user > 0,
            $"ContainerUser '{properties["ContainerUser"]}' must be a numeric non-root user (runAsNonRoot checks it)");

        var rendered = await ManifestTools.RenderAsync("base");
        var container = Rendered.Containers(rendered.Single("Deployment", service)).Single();
        Assert.Equal($"aifactory/{service}:{properties["ContainerImageTag"]}", (string?)container["image"]);

        var imagePorts = evaluated["Items"]!["ContainerPort"]!.AsArray().Select(p => int.Parse((string)p!["Identity"]!)).Order();
        var deploymentPorts = container["ports"]!.AsArray().Select(p => (int)p!["containerPort"]!).Order();
        Assert.Equal(deploymentPorts, imagePorts);

        var securityUser = Rendered.PodSpec((await ManifestTools.RenderAsync("overlays/gpu")).Single("Deployment", service))["securityContext"]!["runAsUser"];
        Assert.Equal(user, (int)securityUser!);
    }

    [Fact]
    public async Task Inference_is_self_contained_on_the_cuda_13_runtime_image_with_cudnn()
    {
        var properties = (await EvaluateAsync("AiFactory.Inference"))["Properties"]!;
        var baseImage = (string)properties["ContainerBaseImage"]!;
        Assert.Matches(@"^docker\.io/nvidia/cuda:13\.\d+\.\d+-cudnn-runtime-ubuntu24\.04$", baseImage);
        Assert.Equal("true", (string?)properties["InvariantGlobalization"]); // the CUDA image has no ICU

        var published = (await EvaluateAsync("AiFactory.Inference", "-p:_IsPublishing=true", "-getProperty:SelfContained",
            "-getProperty:RuntimeIdentifier"))["Properties"]!;
        Assert.Equal("true", (string?)published["SelfContained"]);
        Assert.Equal("linux-x64", (string?)published["RuntimeIdentifier"]);
    }

    private static async Task<JsonNode> EvaluateAsync(string project, params string[] extra)
    {
        var arguments = new List<string> { "msbuild", Path.Combine(RepositoryPaths.Root, project, $"{project}.csproj"), "-getItem:ContainerPort" };
        arguments.AddRange(Properties.Select(p => $"-getProperty:{p}"));
        arguments.AddRange(extra);
        return JsonNode.Parse(await ManifestTools.RunAsync("dotnet", arguments, RepositoryPaths.Root))!;
    }
}
