using System.Net;
using System.Text.RegularExpressions;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;

namespace AiFactory.Tests.AppHost;

/// <summary>
/// A dashboard panel or an alert on a metric that does not exist is a defect: every metric the monitoring overlay
/// uses must be exported on the running application's <c>/metrics</c> (the gateway's and every inference replica's
/// management endpoint), with every label it filters or groups by.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed partial class MetricExportTests(AppHostFixture fixture)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Exported by the cluster's own exporters, not by AiFactory: kube-state-metrics (replicas), the kubelet's cAdvisor
    /// (CPU) and NVIDIA's DCGM exporter (GPU), names as those exporters document them.
    /// </summary>
    private static readonly HashSet<string> External =
    [
        "kube_deployment_status_replicas_available",
        "kube_statefulset_status_replicas_ready",
        "container_cpu_usage_seconds_total",
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_FREE",
    ];

    /// <summary>
    /// Counters a service exports only from their first event on (an OpenTelemetry counter with no measurement has no
    /// series): a Redis failure, a full usage backlog, a usage row PostgreSQL refused, an automatic rollback. Provoking
    /// them needs Redis or PostgreSQL stopped or a failing canary, which RedisOutageTests, PostgresOutageTests and
    /// AutoRollbackTests do; here they are checked against the names the gateway declares instead
    /// (<see cref="DeclaredByTheGateway"/>).
    /// </summary>
    private static readonly HashSet<string> ExportedFromTheirFirstFailure =
    [
        "aifactory_gateway_redis_failures_total",
        "aifactory_gateway_usage_rejections_total",
        "aifactory_gateway_usage_set_aside_total",
        "aifactory_gateway_rollouts_auto_rollbacks_total",
    ];

    /// <summary>Labels Prometheus adds to every series when it scrapes (the ServiceMonitor's target labels).</summary>
    private static readonly HashSet<string> TargetLabels = ["pod", "namespace", "job", "instance", "service", "container", "endpoint"];

    [Fact]
    public async Task Every_metric_and_label_the_dashboards_and_alert_rules_use_is_exported_by_the_running_services()
    {
        await ProduceEveryKindOfTrafficAsync();
        var exported = await ScrapeEveryServiceAsync();
        var queries = await MonitoringQueries.AllAsync();
        var readings = await MonitoringQueries.ReadAsync([.. queries.Select(query => query.Expression)]);

        var failures = new List<string>();
        foreach (var (query, reading) in queries.Zip(readings))
        {
            var known = reading.Selectors.Where(selector => exported.ContainsKey(selector.Metric)).ToArray();
            foreach (var selector in reading.Selectors.Where(selector => !IsAllowListed(selector.Metric)))
            {
                if (!exported.TryGetValue(selector.Metric, out var labels))
                {
                    failures.Add($"{query.Where}: {selector.Metric} is not exported");
                    continue;
                }

                failures.AddRange(selector.Labels.Where(label => !labels.Contains(label) && !TargetLabels.Contains(label))
                    .Select(label => $"{query.Where}: {selector.Metric} has no label '{label}' (it has {string.Join(", ", labels)})"));
            }

            // A label grouped or matched by must come from one of the expression's metrics (unless one is external).
            if (reading.Selectors.All(selector => exported.ContainsKey(selector.Metric)))
            {
                failures.AddRange(reading.Grouping
                    .Where(label => !TargetLabels.Contains(label) && !known.Any(selector => exported[selector.Metric].Contains(label)))
                    .Select(label => $"{query.Where}: no metric of the expression has the label '{label}' it groups by"));
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct()));
    }

    [Fact]
    public void The_counters_exported_only_after_a_failure_are_the_ones_the_gateway_declares()
    {
        var declared = DeclaredByTheGateway();
        Assert.All(ExportedFromTheirFirstFailure, metric => Assert.Contains(metric, declared));
    }

    private static bool IsAllowListed(string metric) =>
        External.Contains(metric) || ExportedFromTheirFirstFailure.Contains(metric);

    /// <summary>
    /// Requests that make every AiFactory metric the overlay uses appear: inferences (per model and version, batches,
    /// queues), a cache miss then hit, a key lookup, and a rate-limit rejection.
    /// </summary>
    private async Task ProduceEveryKindOfTrafficAsync()
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync("metric-export", ["infer"], requestsPerSecond: 0.01, burst: 1);
        using var limited = fixture.CreateGatewayClient(key);
        var image = SampleModels.RandomImage(seed: 11, 1, 3, 48, 192);
        for (var i = 0; i < 2; i++)
        {
            using var response = await admin.PostAsync($"/v2/models/{SampleModels.TextDirection}/infer",
                OipRequests.Json(SampleModels.TextDirectionInput, [1, 3, 48, 192], image)).WaitAsync(RequestTimeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await limited.PostAsync($"/v2/models/{SampleModels.TextDirection}/infer",
                OipRequests.Json(SampleModels.TextDirectionInput, [1, 3, 48, 192], image)).WaitAsync(RequestTimeout);
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    /// <summary>Every metric name (Prometheus form) the services export now, each with the labels its series carry.</summary>
    private async Task<Dictionary<string, HashSet<string>>> ScrapeEveryServiceAsync()
    {
        var exported = new Dictionary<string, HashSet<string>>();
        foreach (var service in AppHostFixture.InferenceReplicas.Prepend("gateway"))
        {
            using var http = new HttpClient { BaseAddress = fixture.App.GetEndpoint(service, "management") };
            foreach (var line in (await PrometheusText.ScrapeAsync(http)).Split('\n').Where(line => line.Length > 0 && line[0] != '#'))
            {
                var series = Series().Match(line);
                Assert.True(series.Success, $"{service}: not a Prometheus sample: {line}");
                var labels = exported.TryGetValue(series.Groups[1].Value, out var known) ? known : exported[series.Groups[1].Value] = [];
                labels.UnionWith(LabelName().Matches(series.Groups[2].Value).Select(match => match.Groups[1].Value));
            }
        }

        return exported;
    }

    /// <summary>The Prometheus names of the counters the gateway's source declares (<c>CreateCounter&lt;long&gt;("a.b.c"</c> → <c>a_b_c_total</c>).</summary>
    private static HashSet<string> DeclaredByTheGateway() =>
    [
        .. Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "AiFactory.Gateway"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => DeclaredCounter().Matches(File.ReadAllText(path)))
            .Select(match => match.Groups[1].Value.Replace('.', '_') + "_total"),
    ];

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s")]
    private static partial Regex Series();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"CreateCounter<long>\(\s*""([a-z_.]+)""")]
    private static partial Regex DeclaredCounter();
}
