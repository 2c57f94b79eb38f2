using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Release;

/// <summary>
/// Every workflow in .github/workflows passes actionlint and the project's rules: each action pinned to a commit
/// with its release tag beside it, a workflow that grants nothing by default, permissions declared per job, and an
/// OIDC token (id-token: write) only where signing needs it. A broken workflow fails here, before it reaches GitHub;
/// the known-bad sample (Samples/broken-workflow.yml) proves that it does.
/// </summary>
public sealed partial class WorkflowLintTests
{
    private static readonly string BrokenSample = Path.Combine(RepositoryPaths.Root, "AiFactory.Tests", "Release", "Samples", "broken-workflow.yml");

    [Fact]
    public async Task Every_workflow_passes_actionlint()
    {
        var workflows = await WorkflowLinter.LintAsync(WorkflowLinter.RepositoryWorkflows);
        Assert.Contains(workflows, w => w.Name == "release.yml");
        Assert.Contains(workflows, w => w.Name == "ci.yml");
        foreach (var workflow in workflows)
        {
            Assert.True(workflow.Errors.Count == 0, $"{workflow.Name}:\n{string.Join('\n', workflow.Errors)}");
        }
    }

    [Fact]
    public async Task Actionlint_fails_a_broken_workflow_naming_each_mistake()
    {
        var broken = Assert.Single(await WorkflowLinter.LintAsync([BrokenSample]));

        Assert.Contains(broken.Errors, e => e.StartsWith("6:5: unexpected key \"branch\" for \"push\" section") && e.EndsWith("[syntax-check]"));
        Assert.Contains(broken.Errors, e => e.StartsWith("16:3: job \"deploy\" needs job \"biuld\" which does not exist") && e.EndsWith("[job-needs]"));
        Assert.Contains(broken.Errors, e => e.StartsWith("23:24: property \"build\" is not defined") && e.EndsWith("[expression]"));
    }

    /// <summary>Script injection: an attacker-written value (a commit message) expanded into a shell script.</summary>
    [Fact]
    public async Task Script_injection_through_an_untrusted_value_in_a_run_step_fails_the_lint()
    {
        var broken = Assert.Single(await WorkflowLinter.LintAsync([BrokenSample]));
        Assert.Contains(broken.Errors, e =>
            e.StartsWith("15:24: \"github.event.head_commit.message\" is potentially untrusted") && e.EndsWith("[expression]"));
    }

    [Fact]
    public async Task Every_action_is_pinned_to_a_commit_with_its_release_tag_beside_it()
    {
        foreach (var workflow in await WorkflowLinter.LintAsync(WorkflowLinter.RepositoryWorkflows))
        {
            Assert.NotEmpty(UsedActions(workflow));
            var unpinned = UnpinnedActions(workflow).ToList();
            Assert.True(unpinned.Count == 0, $"{workflow.Name}: pin these to a commit SHA, its tag in a comment (# vX.Y.Z):\n{string.Join('\n', unpinned)}");
        }
    }

    [Fact]
    public async Task Every_job_declares_its_permissions_and_no_workflow_grants_any_by_default()
    {
        foreach (var workflow in await WorkflowLinter.LintAsync(WorkflowLinter.RepositoryWorkflows))
        {
            Assert.Equal([], DefaultPermissionProblems(workflow));
            Assert.Equal([], JobsWithoutPermissions(workflow));
        }
    }

    [Fact]
    public async Task Only_the_signing_job_may_mint_an_oidc_token()
    {
        var withOidc = (await WorkflowLinter.LintAsync(WorkflowLinter.RepositoryWorkflows))
            .SelectMany(w => JobsWithOidc(w).Select(job => $"{w.Name}/{job}"));
        Assert.Equal(["release.yml/sign"], withOidc);
    }

    [Fact]
    public async Task Release_jobs_may_write_only_what_pushing_and_signing_the_images_needs()
    {
        var release = (await WorkflowLinter.LintAsync(WorkflowLinter.RepositoryWorkflows)).Single(w => w.Name == "release.yml");
        var writes = release.Jobs.ToDictionary(j => j.Name, j => string.Join(',', WriteScopes(j.Job["permissions"]).Order()));

        Assert.Equal("attestations,id-token,packages", writes["sign"]);
        Assert.Equal("packages", writes["images"]);
        Assert.All(writes.Where(w => w.Key is not ("sign" or "images")), w => Assert.True(w.Value == "", $"job {w.Key} may write {w.Value}"));
    }

    [Fact]
    public async Task The_project_rules_catch_a_moving_tag_a_missing_release_tag_default_write_all_missing_permissions_and_stray_oidc()
    {
        var broken = Assert.Single(await WorkflowLinter.LintAsync([BrokenSample]));

        Assert.Equal(["actions/checkout@v4", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"], UnpinnedActions(broken));
        Assert.Equal(["the workflow grants write-all by default"], DefaultPermissionProblems(broken));
        Assert.Equal(["build"], JobsWithoutPermissions(broken));
        Assert.Equal(["deploy"], JobsWithOidc(broken));
    }

    [Fact]
    public async Task Releases_on_version_tags_and_by_hand_deploy_staging_then_production_after_approval_and_roll_back_the_same_way()
    {
        var release = (await WorkflowLinter.LintAsync(WorkflowLinter.RepositoryWorkflows)).Single(w => w.Name == "release.yml");
        var on = release.Workflow["on"]!;
        Assert.Equal(["v*.*.*"], on["push"]!["tags"]!.AsArray().Select(t => (string?)t));
        Assert.NotNull(on["workflow_dispatch"]!["inputs"]!["rollback_to"]);

        var jobs = release.Jobs.ToDictionary(j => j.Name, j => j.Job);
        Assert.Equal("bash scripts/test.sh", Runs(jobs["test"]).Single());
        Assert.Contains("bash scripts/deploy.sh cpu \"$REGISTRY\" \"$VERSION\"", Runs(jobs["staging"]));
        Assert.Contains(Runs(jobs["staging"]), run => run.Contains("bash scripts/smoke-test.sh"));
        Assert.Equal("staging", (string?)jobs["staging"]["environment"]);

        // The production environment is where the required reviewers are set (README, "Release").
        Assert.Equal("production", (string?)jobs["production"]["environment"]);
        Assert.Contains("staging", Needs(jobs["production"]));
        Assert.Contains("bash scripts/deploy.sh gpu \"$REGISTRY\" \"$VERSION\"", Runs(jobs["production"]));

        Assert.Contains(Runs(jobs["rollback"]), run => run.Contains("bash scripts/deploy.sh \"$overlay\""));
        Assert.Equal("${{ inputs.rollback_to }}", (string?)jobs["rollback"]["if"]);
        Assert.All(jobs.Where(j => j.Key != "rollback"), j => Assert.True(
            (string?)j.Value["if"] == "${{ !inputs.rollback_to }}" || Needs(j.Value).Any(),
            $"job {j.Key} must not run when rolling back"));
    }

    private static IEnumerable<string> UsedActions(LintedWorkflow workflow) =>
        workflow.Jobs.SelectMany(j => (j.Job["steps"]?.AsArray() ?? []).Select(s => (string?)s!["uses"]).Append((string?)j.Job["uses"]))
            .OfType<string>();

    // Local actions (./...) come with the commit itself; everything else names a commit, and the line says its tag.
    private static IEnumerable<string> UnpinnedActions(LintedWorkflow workflow) =>
        UsedActions(workflow).Where(uses => !uses.StartsWith("./", StringComparison.Ordinal)
                                            && !(PinnedToCommit().IsMatch(uses) && workflow.Text.Contains($"{uses} # v", StringComparison.Ordinal)));

    private static IEnumerable<string> DefaultPermissionProblems(LintedWorkflow workflow) =>
        workflow.Workflow["permissions"] switch
        {
            null => ["the workflow sets no default permissions (permissions: {})"],
            var permissions when WriteScopes(permissions).Any() => [$"the workflow grants {string.Join(',', WriteScopes(permissions))} by default"],
            _ => [],
        };

    private static IEnumerable<string> JobsWithoutPermissions(LintedWorkflow workflow) =>
        workflow.Jobs.Where(j => j.Job["permissions"] is null).Select(j => j.Name);

    private static IEnumerable<string> JobsWithOidc(LintedWorkflow workflow) =>
        workflow.Jobs.Where(j => WriteScopes(j.Job["permissions"]).Contains("id-token") || WriteScopes(j.Job["permissions"]).Contains("write-all"))
            .Select(j => j.Name);

    private static IEnumerable<string> WriteScopes(JsonNode? permissions) => permissions switch
    {
        JsonObject scopes => scopes.Where(s => (string?)s.Value == "write").Select(s => s.Key),
        JsonValue all when (string?)all == "write-all" => ["write-all"],
        _ => [],
    };

    private static List<string> Runs(JsonObject job) =>
        [.. (job["steps"]?.AsArray() ?? []).Select(s => ((string?)s!["run"])?.Trim()).OfType<string>()];

    private static IEnumerable<string> Needs(JsonObject job) => job["needs"] switch
    {
        JsonArray needs => needs.Select(n => (string)n!),
        JsonValue need => [(string)need!],
        _ => [],
    };

    [GeneratedRegex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")]
    private static partial Regex PinnedToCommit();
}
