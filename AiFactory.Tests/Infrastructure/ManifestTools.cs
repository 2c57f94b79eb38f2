using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// The published Aspire manifest and the rendered Kubernetes manifests (<c>kubectl kustomize</c>, validated against the
/// Kubernetes schemas by <c>Manifests/validator</c>), each produced once per test run.
/// </summary>
public static class ManifestTools
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<Task<JsonObject>> Published = new(PublishAsync);
    private static readonly ConcurrentDictionary<string, Lazy<Task<Rendered>>> RenderedFolders = new();

    public static string ManifestsRoot => Path.Combine(RepositoryPaths.Root, "manifests");

    public static string ValidatorFolder => Path.Combine(RepositoryPaths.Root, "AiFactory.Tests", "Manifests", "validator");

    /// <summary>The AppHost's manifest, freshly published (<c>--publisher manifest</c>) into a temporary folder.</summary>
    public static Task<JsonObject> AspireManifestAsync() => Published.Value;

    /// <summary>
    /// <c>kubectl kustomize manifests/{folder}</c> (or an absolute folder, such as a release kustomization): every
    /// object, and what the schema validation found.
    /// </summary>
    public static Task<Rendered> RenderAsync(string folder) =>
        RenderedFolders.GetOrAdd(folder, key => new Lazy<Task<Rendered>>(() => RenderCoreAsync(key))).Value;

    /// <summary>kubectl from PATH, or the one scripts/install-prerequisites.sh put under .tools/ when none was there.</summary>
    public static string Kubectl
    {
        get
        {
            var installed = Path.Combine(RepositoryPaths.Root, ".tools", "bin", "kubectl");
            return File.Exists(installed) ? installed : "kubectl";
        }
    }

    private static async Task<Rendered> RenderCoreAsync(string folder)
    {
        var yaml = await RunAsync(Kubectl, ["kustomize", Path.Combine(ManifestsRoot, folder)], RepositoryPaths.Root);
        Assert.True(File.Exists(Path.Combine(ValidatorFolder, "node_modules", "kubernetes-models", "package.json")),
            $"the schema validator is not installed in {ValidatorFolder}: run scripts/install-prerequisites.sh");
        var json = await RunAsync("node", [Path.Combine(ValidatorFolder, "validate.mjs")], ValidatorFolder, stdin: yaml);
        var result = JsonNode.Parse(json)!.AsObject();
        return new Rendered(
            [.. result["objects"]!.AsArray().Select(o => o!.AsObject())],
            [.. result["errors"]!.AsArray().Select(e => e!.GetValue<string>())]);
    }

    private static async Task<JsonObject> PublishAsync()
    {
        var output = Path.Combine(Directory.CreateTempSubdirectory("aifactory-manifest-").FullName, "aspire-manifest.json");
        var configuration = typeof(ManifestTools).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        await RunAsync("dotnet",
            ["run", "--project", Path.Combine(RepositoryPaths.Root, "AiFactory.AppHost"), "--no-build", "-c", configuration, "--",
             "--publisher", "manifest", "--output-path", output], RepositoryPaths.Root);
        return JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsObject();
    }

    /// <summary>Runs a command to its end and returns its standard output; fails the test with its output otherwise.</summary>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, string? stdin = null)
    {
        var argumentList = arguments.ToList();
        var result = await RunToEndAsync(fileName, argumentList, workingDirectory, stdin);
        Assert.True(result.ExitCode == 0,
            $"'{fileName} {string.Join(' ', argumentList)}' failed ({result.ExitCode}): {result.Error}{result.Output}");
        return result.Output;
    }

    /// <summary>Runs a command to its end (at most <see cref="CommandTimeout"/>), whatever its exit code.</summary>
    public static async Task<CommandResult> RunToEndAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, string? stdin = null)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(CommandTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>How a command ended: its exit code, standard output and standard error.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error);

/// <summary>Rendered Kubernetes objects and the schema errors found in them.</summary>
public sealed record Rendered(IReadOnlyList<JsonObject> Objects, IReadOnlyList<string> Errors)
{
    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => (string?)o["kind"] == kind);

    public JsonObject Single(string kind, string name)
    {
        var found = OfKind(kind).Where(o => (string?)o["metadata"]?["name"] == name).ToList();
        Assert.True(found.Count == 1, $"expected one {kind}/{name}, found {found.Count}");
        return found[0];
    }

    public JsonObject? Find(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => (string?)o["metadata"]?["name"] == name);

    /// <summary>Deployments and StatefulSets.</summary>
    public IEnumerable<JsonObject> Workloads => Objects.Where(o => (string?)o["kind"] is "Deployment" or "StatefulSet");

    public static JsonObject PodSpec(JsonObject workload) => workload["spec"]!["template"]!["spec"]!.AsObject();

    public static IEnumerable<JsonObject> Containers(JsonObject workload, bool includeInit = true)
    {
        var spec = PodSpec(workload);
        var containers = spec["containers"]!.AsArray().Select(c => c!.AsObject());
        return includeInit && spec["initContainers"] is JsonArray init
            ? containers.Concat(init.Select(c => c!.AsObject()))
            : containers;
    }

    public static string Name(JsonObject o) => (string)o["metadata"]!["name"]!;
}
