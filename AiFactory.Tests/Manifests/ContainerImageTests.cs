using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>
/// The container properties `aspirate generate` and the release workflow (dotnet publish -t:PublishContainer) build each
/// image from. No image can be built here (no registry is reachable), so the properties are what is checked, and the
/// tags as the SDK computes them (its ComputeContainerConfig target).
/// </summary>
public sealed class ContainerImageTests
{
    private static readonly string[] Properties =
        ["ContainerRepository", "ContainerImageTag", "ContainerUser", "ContainerBaseImage", "Version", "InvariantGlobalization"];

    private const string Commit = "0123456789abcdef0123456789abcdef01234567";

    // The inference image the base names is the default variant, cuda.
    public static TheoryData<string, string, string> Services => new()
    {
        { "inference", "AiFactory.Inference", "-cuda" },
        { "gateway", "AiFactory.Gateway", "" },
        { "dashboard", "AiFactory.Dashboard", "" },
    };

    /// <summary>Every image the release workflow builds: service, project, variant (InferenceVariant), tag suffix.</summary>
    public static TheoryData<string, string, string, string> ReleaseImages => new()
    {
        { "gateway", "AiFactory.Gateway", "", "" },
        { "dashboard", "AiFactory.Dashboard", "", "" },
        { "inference", "AiFactory.Inference", "cpu", "-cpu" },
        { "inference", "AiFactory.Inference", "cuda", "-cuda" },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Image_has_its_repository_tag_non_root_user_and_the_ports_the_deployment_uses(string service, string project, string suffix)
    {
        var evaluated = await EvaluateAsync(project);
        var properties = evaluated["Properties"]!;
        Assert.Equal($"aifactory/{service}", (string?)properties["ContainerRepository"]);
        Assert.Equal($"{properties["Version"]}{suffix}", (string?)properties["ContainerImageTag"]);
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

    [Theory]
    [MemberData(nameof(ReleaseImages))]
    public async Task Release_build_tags_each_image_with_the_version_and_the_commit(string service, string project, string variant, string suffix)
    {
        var computed = await EvaluateAsync(project, [.. VariantArgument(variant), "-p:Version=1.2.3", $"-p:ReleaseCommit={Commit}",
            "-t:ComputeContainerConfig", "-getItem:ContainerImageTags"]);

        Assert.Equal($"aifactory/{service}", (string?)computed["Properties"]!["ContainerRepository"]);
        var tags = computed["Items"]!["ContainerImageTags"]!.AsArray().Select(t => (string?)t!["Identity"]);
        Assert.Equal([$"1.2.3{suffix}", $"sha-{Commit}{suffix}"], tags);
    }

    [Theory]
    [InlineData("cpu", "Microsoft.ML.OnnxRuntime", "Microsoft.ML.OnnxRuntime.Gpu.Linux", "mcr.microsoft.com/dotnet/aspnet:10.0", false)]
    [InlineData("cuda", "Microsoft.ML.OnnxRuntime.Gpu.Linux", "Microsoft.ML.OnnxRuntime", "docker.io/nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04", true)]
    public async Task Inference_variant_picks_its_onnx_runtime_build_and_base_image(string variant, string runtime, string other, string baseImage, bool selfContained)
    {
        var evaluated = await EvaluateAsync("AiFactory.Inference", $"-p:InferenceVariant={variant}", "-p:_IsPublishing=true",
            "-getProperty:SelfContained", "-getItem:PackageReference");

        Assert.Equal(baseImage, (string?)evaluated["Properties"]!["ContainerBaseImage"]);
        // Self-contained only on the CUDA image, which has no .NET runtime.
        Assert.Equal(selfContained, (string?)evaluated["Properties"]!["SelfContained"] == "true");
        var packages = evaluated["Items"]!["PackageReference"]!.AsArray().Select(p => (string)p!["Identity"]!).ToList();
        Assert.Contains(runtime, packages);
        Assert.DoesNotContain(other, packages);
    }

    [Fact]
    public async Task An_unknown_inference_variant_fails_the_build_naming_the_property()
    {
        var result = await ManifestTools.RunToEndAsync("dotnet",
            ["msbuild", ProjectPath("AiFactory.Inference"), "-p:InferenceVariant=gpu", "-t:ComputeContainerConfig"], RepositoryPaths.Root);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("InferenceVariant must be 'cuda' or 'cpu', not 'gpu'", result.Output);
    }

    [Theory]
    [InlineData("overlays/cpu", "cpu")]
    [InlineData("overlays/gpu", "cuda")]
    public async Task Each_overlay_runs_the_inference_image_of_its_variant(string overlay, string variant)
    {
        var tag = (string?)(await EvaluateAsync("AiFactory.Inference", $"-p:InferenceVariant={variant}"))["Properties"]!["ContainerImageTag"];
        Assert.EndsWith($"-{variant}", tag);

        var inference = Rendered.Containers((await ManifestTools.RenderAsync(overlay)).Single("Deployment", "inference"), includeInit: false).Single();
        Assert.Equal($"aifactory/inference:{tag}", (string?)inference["image"]);
    }

    private static IEnumerable<string> VariantArgument(string variant) => variant == "" ? [] : [$"-p:InferenceVariant={variant}"];

    private static string ProjectPath(string project) => Path.Combine(RepositoryPaths.Root, project, $"{project}.csproj");

    private static async Task<JsonNode> EvaluateAsync(string project, params string[] extra)
    {
        var arguments = new List<string> { "msbuild", ProjectPath(project), "-getItem:ContainerPort" };
        arguments.AddRange(Properties.Select(p => $"-getProperty:{p}"));
        arguments.AddRange(extra);
        return JsonNode.Parse(await ManifestTools.RunAsync("dotnet", arguments, RepositoryPaths.Root))!;
    }
}
