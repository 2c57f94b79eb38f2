using System.Text.RegularExpressions;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Monitoring;

/// <summary>
/// The monitoring overlay as an operator installs it: dashboards Grafana's sidecar discovers, alert rules that parse
/// and carry what the on-call engineer needs, each linking a runbook section that exists. Whether the metrics they
/// use exist is <see cref="AppHost.MetricExportTests"/>.
/// </summary>
public sealed partial class MonitoringOverlayTests
{
    /// <summary>The issue's alerts, one rule each (some have a companion: the usage backlog's full and set-aside rules).</summary>
    public static TheoryData<string> IssueAlerts =>
    [
        "AiFactoryInferenceLatencyHigh", "AiFactoryInferenceErrorRatioHigh", "AiFactoryInferenceNotReady", "AiFactoryModelUnavailable",
        "AiFactoryCanaryRolledBack", "AiFactoryRateLimitsDegraded", "AiFactoryGatewayUsageBacklogGrowing", "AiFactoryStorageUnreachable",
        "AiFactoryGpuMemoryNearLimit",
    ];

    private static string OperationsGuide => Path.Combine(RepositoryPaths.Root, "docs", "operations.md");

    [Fact]
    public async Task Every_expression_of_the_dashboards_and_alert_rules_is_valid_promql()
    {
        var queries = await MonitoringQueries.AllAsync();
        var readings = await MonitoringQueries.ReadAsync([.. queries.Select(query => query.Expression)]);

        var failures = queries.Zip(readings)
            .Where(pair => pair.Second.Errors.Length > 0 || pair.Second.Selectors.Length == 0)
            .Select(pair => $"{pair.First.Where}: {string.Join("; ", pair.Second.Errors.DefaultIfEmpty("selects no metric"))} in: {pair.First.Expression}")
            .ToArray();
        Assert.True(failures.Length == 0, string.Join("\n", failures));
        Assert.True(queries.Count >= 30, $"only {queries.Count} expressions were found: the dashboards or rules were not read");
    }

    [Fact]
    public async Task The_promql_check_refuses_a_broken_expression()
    {
        var readings = await MonitoringQueries.ReadAsync(
        [
            "sum by (model) (rate(aifactory_inference_requests_total[5m])",
            "aifactory_inference_requests_total{model=}",
            "sum by (model) (rate(aifactory_inference_requests_total{outcome!=\"success\"}[5m]))",
        ]);

        Assert.NotEmpty(readings[0].Errors);
        Assert.NotEmpty(readings[1].Errors);
        Assert.Empty(readings[2].Errors);
        var selector = Assert.Single(readings[2].Selectors);
        Assert.Equal("aifactory_inference_requests_total", selector.Metric);
        Assert.Equal(["outcome"], selector.Labels);
        Assert.Equal(["model"], readings[2].Grouping);
    }

    [Fact]
    public async Task The_four_dashboards_are_config_maps_the_grafana_sidecar_discovers()
    {
        var dashboards = await MonitoringQueries.DashboardsAsync();

        Assert.Equal(["AiFactory / Capacity and cost", "AiFactory / Platform health", "AiFactory / Rollouts", "AiFactory / Serving"],
            dashboards.Select(dashboard => (string)dashboard["title"]!).Order());
        foreach (var dashboard in dashboards)
        {
            Assert.False(string.IsNullOrEmpty((string?)dashboard["uid"]), $"{dashboard["title"]} has no uid: the sidecar would duplicate it on every change");
            var panels = dashboard["panels"]!.AsArray();
            Assert.NotEmpty(panels);
            Assert.All(panels, panel => Assert.NotEmpty(panel!["targets"]!.AsArray()));
        }
    }

    [Theory]
    [MemberData(nameof(IssueAlerts))]
    public async Task Each_alert_the_issue_lists_exists(string alert)
    {
        var rules = await MonitoringQueries.AlertRulesAsync();
        Assert.Contains(alert, rules.Select(rule => (string)rule["alert"]!));
    }

    [Fact]
    public async Task Every_alert_has_a_summary_a_description_with_its_figures_a_severity_and_a_runbook_section_in_operations_md()
    {
        var anchors = Anchors(await File.ReadAllTextAsync(OperationsGuide));
        var rules = await MonitoringQueries.AlertRulesAsync();

        Assert.NotEmpty(rules);
        foreach (var rule in rules)
        {
            var alert = (string)rule["alert"]!;
            var annotations = rule["annotations"]!;
            Assert.False(string.IsNullOrWhiteSpace((string?)annotations["summary"]), $"{alert}: no summary");
            Assert.True(((string?)annotations["description"])?.Contains("{{ $value", StringComparison.Ordinal) == true,
                $"{alert}: the description does not give the figure ({{{{ $value }}}}): {annotations["description"]}");
            Assert.Contains((string?)rule["labels"]?["severity"], new[] { "warning", "critical" });
            var runbook = RunbookUrl().Match((string?)annotations["runbook_url"] ?? "");
            Assert.True(runbook.Success, $"{alert}: runbook_url '{annotations["runbook_url"]}' does not point to docs/operations.md#<section>");
            Assert.True(anchors.Contains(runbook.Groups[1].Value), $"{alert}: docs/operations.md has no section #{runbook.Groups[1].Value}");
        }
    }

    [Fact]
    public void A_runbook_link_to_a_missing_section_is_caught()
    {
        var anchors = Anchors("# Guide\n\n## Roll back\n\n### AiFactoryCanaryRolledBack\n");

        Assert.Contains("aifactorycanaryrolledback", anchors);
        Assert.Contains("roll-back", anchors);
        Assert.DoesNotContain("aifactorystorageunreachable", anchors);
    }

    /// <summary>The anchors GitHub gives a Markdown file's headings: lower case, punctuation dropped, spaces as dashes.</summary>
    private static HashSet<string> Anchors(string markdown) =>
    [
        .. markdown.Split('\n')
            .Where(line => line.StartsWith('#'))
            .Select(line => Punctuation().Replace(line.TrimStart('#').Trim().ToLowerInvariant(), "").Replace(' ', '-')),
    ];

    [GeneratedRegex(@"^docs/operations\.md#([a-z0-9-]+)$")]
    private static partial Regex RunbookUrl();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex Punctuation();
}
