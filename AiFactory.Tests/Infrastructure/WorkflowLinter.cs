using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// GitHub Actions workflows linted by actionlint (<c>Release/linter</c>, its WebAssembly build, offline) and parsed,
/// so the tests can check the project's own rules on them too. Each set of files is linted once per test run (loading
/// actionlint takes seconds).
/// </summary>
public static class WorkflowLinter
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<LintedWorkflow>>>> Linted = new();

    public static string LinterFolder => Path.Combine(RepositoryPaths.Root, "AiFactory.Tests", "Release", "linter");

    /// <summary>Every workflow of this repository (<c>.github/workflows</c>).</summary>
    public static IReadOnlyList<string> RepositoryWorkflows =>
        [.. Directory.GetFiles(Path.Combine(RepositoryPaths.Root, ".github", "workflows"), "*.y*ml").Order()];

    public static Task<IReadOnlyList<LintedWorkflow>> LintAsync(IReadOnlyList<string> paths) =>
        Linted.GetOrAdd(string.Join('\n', paths), _ => new Lazy<Task<IReadOnlyList<LintedWorkflow>>>(() => LintCoreAsync(paths))).Value;

    private static async Task<IReadOnlyList<LintedWorkflow>> LintCoreAsync(IReadOnlyList<string> paths)
    {
        Assert.True(File.Exists(Path.Combine(LinterFolder, "node_modules", "@tktco", "node-actionlint", "package.json")),
            $"actionlint is not installed in {LinterFolder}: run scripts/install-prerequisites.sh");
        var json = await ManifestTools.RunAsync("node", [Path.Combine(LinterFolder, "lint.mjs"), .. paths], LinterFolder);
        return [.. JsonNode.Parse(json)!["files"]!.AsArray().Select(file => new LintedWorkflow(
            Path.GetFileName((string)file!["path"]!),
            [.. file["errors"]!.AsArray().Select(e => $"{e!["line"]}:{e["column"]}: {e["message"]} [{e["kind"]}]")],
            file["workflow"] as JsonObject ?? [],
            File.ReadAllText((string)file["path"]!)))];
    }
}

/// <summary>A workflow file: what actionlint reported (line:column: message [kind]), the file parsed, and its text.</summary>
public sealed record LintedWorkflow(string Name, IReadOnlyList<string> Errors, JsonObject Workflow, string Text)
{
    public IEnumerable<(string Name, JsonObject Job)> Jobs =>
        (Workflow["jobs"]?.AsObject() ?? []).Select(job => (job.Key, job.Value!.AsObject()));
}
