using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AiFactory.Tests.Infrastructure;

/// <summary>One PromQL expression the monitoring overlay ships: where it is (alert, or dashboard and panel) and the text.</summary>
public sealed record MonitoringQuery(string Where, string Expression);

/// <summary>A vector selector of an expression: the metric and the labels it matches on.</summary>
public sealed record PromQlSelector(string Metric, string[] Labels);

/// <summary>What the PromQL grammar read in one expression: syntax errors, selectors, and labels grouped or matched by.</summary>
public sealed record PromQlReading(string[] Errors, PromQlSelector[] Selectors, string[] Grouping);

/// <summary>
/// Every PromQL expression of <c>manifests/overlays/monitoring</c> as it renders (alert rules, and the Grafana
/// dashboards' panels and variables from their ConfigMaps), and the parser that reads them: the lezer grammar of
/// Prometheus' own UI (npm <c>@prometheus-io/lezer-promql</c>, in <c>Monitoring/promql</c>).
/// </summary>
public static partial class MonitoringQueries
{
    public const string DashboardLabel = "grafana_dashboard";

    public static string ReaderFolder => Path.Combine(RepositoryPaths.Root, "AiFactory.Tests", "Monitoring", "promql");

    /// <summary>The alert rules of the rendered overlay.</summary>
    public static async Task<IReadOnlyList<JsonObject>> AlertRulesAsync()
    {
        var rendered = await ManifestTools.RenderAsync("overlays/monitoring");
        return [.. rendered.OfKind("PrometheusRule")
            .SelectMany(rule => rule["spec"]!["groups"]!.AsArray())
            .SelectMany(group => group!["rules"]!.AsArray())
            .Select(rule => rule!.AsObject())
            .Where(rule => rule["alert"] is not null)];
    }

    /// <summary>The dashboards the Grafana sidecar would load: the JSON in each ConfigMap labelled for it.</summary>
    public static async Task<IReadOnlyList<JsonObject>> DashboardsAsync()
    {
        var rendered = await ManifestTools.RenderAsync("overlays/monitoring");
        return [.. rendered.OfKind("ConfigMap")
            .Where(map => (string?)map["metadata"]!["labels"]?[DashboardLabel] == "1")
            .SelectMany(map => map["data"]!.AsObject().Select(file => JsonNode.Parse(file.Value!.GetValue<string>())!.AsObject()))];
    }

    /// <summary>Every expression: each alert's, each dashboard panel target's, and each dashboard variable's query.</summary>
    public static async Task<IReadOnlyList<MonitoringQuery>> AllAsync()
    {
        var queries = (await AlertRulesAsync())
            .Select(rule => new MonitoringQuery($"alert {rule["alert"]}", rule["expr"]!.GetValue<string>()))
            .ToList();
        foreach (var dashboard in await DashboardsAsync())
        {
            var title = (string)dashboard["title"]!;
            foreach (var panel in dashboard["panels"]!.AsArray())
            {
                foreach (var target in panel!["targets"]!.AsArray())
                {
                    queries.Add(new MonitoringQuery($"dashboard '{title}', panel '{panel["title"]}'", AsPromQl(target!["expr"]!.GetValue<string>())));
                }
            }

            foreach (var variable in dashboard["templating"]!["list"]!.AsArray().Where(v => (string?)v!["type"] == "query"))
            {
                var query = variable!["query"]!["query"]!.GetValue<string>();
                var labelValues = LabelValues().Match(query);
                Assert.True(labelValues.Success, $"dashboard '{title}', variable '{variable["name"]}': only label_values(metric, label) is supported here: {query}");
                queries.Add(new MonitoringQuery($"dashboard '{title}', variable '{variable["name"]}'",
                    $"count by ({labelValues.Groups[2].Value}) ({labelValues.Groups[1].Value})"));
            }
        }

        return queries;
    }

    /// <summary>Reads each expression with the PromQL grammar (one node process for all of them).</summary>
    public static async Task<IReadOnlyList<PromQlReading>> ReadAsync(IReadOnlyList<string> expressions)
    {
        Assert.True(File.Exists(Path.Combine(ReaderFolder, "node_modules", "@prometheus-io", "lezer-promql", "package.json")),
            $"the PromQL parser is not installed in {ReaderFolder}: run scripts/install-prerequisites.sh");
        var json = await ManifestTools.RunAsync("node", [Path.Combine(ReaderFolder, "read.mjs")], ReaderFolder, stdin: JsonSerializer.Serialize(expressions));
        var readings = JsonSerializer.Deserialize<PromQlReading[]>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal(expressions.Count, readings.Length);
        return readings;
    }

    /// <summary>
    /// A panel's query as Prometheus receives it: Grafana puts its own interval in for <c>$__rate_interval</c> (5m
    /// stands for it) and the dashboard's variables' values for the others (1 outside a string, such as a price;
    /// inside a label matcher's string, <c>"$model"</c> stays a valid string).
    /// </summary>
    public static string AsPromQl(string grafanaExpression)
    {
        var text = grafanaExpression.Replace("$__rate_interval", "5m", StringComparison.Ordinal).Replace("$__interval", "1m", StringComparison.Ordinal);
        var result = new StringBuilder(text.Length);
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"' && (i == 0 || text[i - 1] != '\\'))
            {
                inString = !inString;
            }

            if (!inString && text[i] == '$' && Variable().Match(text, i) is { Success: true } variable && variable.Index == i)
            {
                result.Append('1');
                i += variable.Length - 1;
                continue;
            }

            result.Append(text[i]);
        }

        return result.ToString();
    }

    [GeneratedRegex(@"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$")]
    private static partial Regex LabelValues();
}
