using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>What the overlays add to Aspirate's base, checked on what <c>kubectl kustomize</c> renders.</summary>
public sealed partial class OverlayTests
{
    public static TheoryData<string> Folders => ["base", "overlays/gpu", "overlays/cpu", "overlays/monitoring"];

    public static TheoryData<string> ClusterOverlays => ["overlays/gpu", "overlays/cpu"];

    [Theory]
    [MemberData(nameof(Folders))]
    public async Task Renders_and_every_object_validates_against_the_kubernetes_schema(string folder)
    {
        var rendered = await ManifestTools.RenderAsync(folder);
        Assert.NotEmpty(rendered.Objects);
        Assert.True(rendered.Errors.Count == 0, $"{folder}:\n{string.Join('\n', rendered.Errors)}");
    }

    [Fact]
    public async Task Gpu_overlay_gives_inference_one_gpu_on_gpu_nodes()
    {
        var inference = (await ManifestTools.RenderAsync("overlays/gpu")).Single("Deployment", "inference");
        var container = Rendered.Containers(inference, includeInit: false).Single(c => (string?)c["name"] == "inference");
        Assert.Equal("1", container["resources"]!["limits"]!["nvidia.com/gpu"]!.ToString());

        var pod = Rendered.PodSpec(inference);
        Assert.Equal("true", (string?)pod["nodeSelector"]!["nvidia.com/gpu.present"]);
        Assert.Contains(pod["tolerations"]!.AsArray(), t =>
            (string?)t!["key"] == "nvidia.com/gpu" && (string?)t["operator"] == "Exists" && (string?)t["effect"] == "NoSchedule");
    }

    [Fact]
    public async Task Cpu_overlay_asks_for_no_gpu()
    {
        var rendered = await ManifestTools.RenderAsync("overlays/cpu");
        Assert.DoesNotContain("nvidia.com/gpu", string.Join('\n', rendered.Objects.Select(o => o.ToJsonString())));
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Inference_scales_on_cpu_and_queue_depth_within_bounds(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var hpa = rendered.Single("HorizontalPodAutoscaler", "inference");
        Assert.Equal("autoscaling/v2", (string?)hpa["apiVersion"]);
        var spec = hpa["spec"]!;
        Assert.Equal("inference", (string?)spec["scaleTargetRef"]!["name"]);
        Assert.Equal("Deployment", (string?)spec["scaleTargetRef"]!["kind"]);
        Assert.Equal(2, (int)spec["minReplicas"]!);
        Assert.Equal(8, (int)spec["maxReplicas"]!);

        var metrics = spec["metrics"]!.AsArray();
        Assert.Contains(metrics, m => (string?)m!["type"] == "Resource" && (string?)m["resource"]!["name"] == "cpu"
                                      && (int)m["resource"]!["target"]!["averageUtilization"]! is > 0 and <= 100);
        var queue = Assert.Single(metrics, m => (string?)m!["type"] == "Pods")!;
        Assert.Equal("aifactory_inference_queue_depth", (string?)queue["pods"]!["metric"]!["name"]);
        Assert.Equal("AverageValue", (string?)queue["pods"]!["target"]!["type"]);

        Assert.Equal(0, (int)spec["behavior"]!["scaleUp"]!["stabilizationWindowSeconds"]!);
        Assert.True((int)spec["behavior"]!["scaleDown"]!["stabilizationWindowSeconds"]! >= 300, "scale-down must be slow: a replica costs a model load");
        Assert.NotEmpty(spec["behavior"]!["scaleDown"]!["policies"]!.AsArray());
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Gateway_scales_on_cpu_and_scaled_deployments_leave_the_replica_count_to_the_autoscaler(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var spec = rendered.Single("HorizontalPodAutoscaler", "gateway")["spec"]!;
        Assert.Equal("autoscaling/v2", (string?)rendered.Single("HorizontalPodAutoscaler", "gateway")["apiVersion"]);
        Assert.True((int)spec["minReplicas"]! >= 2 && (int)spec["maxReplicas"]! >= (int)spec["minReplicas"]!);
        Assert.Contains(spec["metrics"]!.AsArray(), m => (string?)m!["resource"]?["name"] == "cpu");

        foreach (var hpa in rendered.OfKind("HorizontalPodAutoscaler"))
        {
            var target = rendered.Single("Deployment", (string)hpa["spec"]!["scaleTargetRef"]!["name"]!);
            Assert.Null(target["spec"]!["replicas"]);
            Assert.NotNull(rendered.Find("PodDisruptionBudget", Rendered.Name(target)));
        }
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Only_the_gateway_reaches_inference(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var policies = rendered.OfKind("NetworkPolicy")
            .Where(p => (string?)p["spec"]!["podSelector"]!["matchLabels"]?["app"] == "inference").ToList();
        var policy = Assert.Single(policies);
        Assert.Contains("Ingress", policy["spec"]!["policyTypes"]!.AsArray().Select(t => (string?)t));
        var from = policy["spec"]!["ingress"]!.AsArray().SelectMany(rule => rule!["from"]!.AsArray()).ToList();
        var peer = Assert.Single(from)!;
        Assert.Equal("gateway", (string?)peer["podSelector"]!["matchLabels"]!["app"]);
        Assert.Null(peer["namespaceSelector"]);
        Assert.Null(peer["ipBlock"]);
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Every_pod_runs_as_non_root_with_a_read_only_root_filesystem_and_no_capabilities(string overlay)
    {
        foreach (var workload in (await ManifestTools.RenderAsync(overlay)).Workloads)
        {
            var name = Rendered.Name(workload);
            var pod = Rendered.PodSpec(workload)["securityContext"];
            Assert.True((bool?)pod?["runAsNonRoot"] == true, $"{name}: runAsNonRoot");
            Assert.True((int?)pod?["runAsUser"] is > 0, $"{name}: a numeric non-root runAsUser");
            foreach (var container in Rendered.Containers(workload))
            {
                var security = container["securityContext"];
                var where = $"{name}/{container["name"]}";
                Assert.True((bool?)security?["readOnlyRootFilesystem"] == true, $"{where}: readOnlyRootFilesystem");
                Assert.True((bool?)security?["allowPrivilegeEscalation"] == false, $"{where}: allowPrivilegeEscalation");
                Assert.Equal(["ALL"], security?["capabilities"]?["drop"]?.AsArray().Select(c => (string?)c) ?? []);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Every_container_has_requests_and_limits_and_every_workload_has_three_probes(string overlay)
    {
        foreach (var workload in (await ManifestTools.RenderAsync(overlay)).Workloads)
        {
            foreach (var container in Rendered.Containers(workload))
            {
                var where = $"{Rendered.Name(workload)}/{container["name"]}";
                foreach (var kind in new[] { "requests", "limits" })
                {
                    foreach (var resource in new[] { "cpu", "memory" })
                    {
                        Assert.True(container["resources"]?[kind]?[resource] is not null, $"{where}: {kind}.{resource}");
                    }
                }
            }

            var main = Rendered.Containers(workload, includeInit: false).Single();
            foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
            {
                Assert.True(main[probe] is not null, $"{Rendered.Name(workload)}: {probe}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Inference_readiness_survives_one_unavailable_model_and_startup_waits_for_model_loading(string overlay)
    {
        var inference = Rendered.Containers((await ManifestTools.RenderAsync(overlay)).Single("Deployment", "inference"), includeInit: false).Single();
        // /health: unready until the initial load finished, then ready even with a model unavailable (ProbeTests
        // checks that on the running replicas); the protocol's strict /v2/health/ready would take the pod out.
        Assert.Equal("/health", (string?)inference["startupProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/health", (string?)inference["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/alive", (string?)inference["livenessProbe"]!["httpGet"]!["path"]);
        var startup = inference["startupProbe"]!;
        var budget = (int)startup["failureThreshold"]! * ((int?)startup["periodSeconds"] ?? 10);
        Assert.True(budget >= 300, $"startup budget {budget} s: model loading and warmup need at least 5 minutes");

        // The models reach /models through the init container (manifests/models/Dockerfile).
        Assert.Contains(inference["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/models");
        var init = Assert.Single(Rendered.PodSpec((await ManifestTools.RenderAsync(overlay)).Single("Deployment", "inference"))["initContainers"]!.AsArray())!;
        Assert.StartsWith("aifactory/models:", (string?)init["image"]);
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Deployments_roll_without_going_below_their_replicas(string overlay)
    {
        foreach (var deployment in (await ManifestTools.RenderAsync(overlay)).OfKind("Deployment"))
        {
            var strategy = deployment["spec"]!["strategy"]!;
            Assert.Equal("RollingUpdate", (string?)strategy["type"]);
            Assert.Equal("0", strategy["rollingUpdate"]!["maxUnavailable"]!.ToString());
        }
    }

    /// <summary>
    /// Aspirate writes generated passwords into ConfigMaps and HTML-encodes values (<c>=</c> becomes <c>&amp;#x3D;</c>):
    /// every such entry must be replaced by the overlays, secrets from the Secret <c>aifactory-secrets</c>.
    /// </summary>
    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Secrets_and_values_aspirate_mangles_come_from_the_overlay(string overlay)
    {
        var manifest = (await ManifestTools.AspireManifestAsync())["resources"]!.AsObject();
        var secretParameters = manifest.Where(r => r.Value!["inputs"]?["value"]?["secret"]?.GetValue<bool>() == true)
            .Select(r => r.Key).ToHashSet();
        var rendered = await ManifestTools.RenderAsync(overlay);

        foreach (var (name, resource) in await BaseDriftTests.DeployableResourcesAsync())
        {
            var configMap = rendered.Find("ConfigMap", $"{name}-env")?["data"]?.AsObject();
            if (configMap is null)
            {
                continue;
            }

            var container = Rendered.Containers(rendered.Workloads.Single(w => Rendered.Name(w) == name), includeInit: false).Single();
            var env = container["env"]?.AsArray().Select(e => e!.AsObject()).ToDictionary(e => (string)e["name"]!) ?? [];
            foreach (var (key, value) in configMap)
            {
                var manifestValue = (string?)resource["env"]?[key] ?? "";
                var secret = ParameterReference().Matches(manifestValue).Any(m => secretParameters.Contains(m.Groups[1].Value));
                var mangled = HtmlEntity().IsMatch(value!.GetValue<string>());
                if (!secret && !mangled)
                {
                    continue;
                }

                Assert.True(env.TryGetValue(key, out var replacement),
                    $"{overlay}: {name}'s {key} comes from Aspirate's ConfigMap ({(secret ? "a secret" : "HTML-encoded")}); set it in the overlay");
                if (secret)
                {
                    var fromSecret = replacement["valueFrom"]?["secretKeyRef"]?["name"]?.GetValue<string>() == "aifactory-secrets"
                                     || SecretVariable().Matches((string?)replacement["value"] ?? "")
                                         .All(m => (string?)env.GetValueOrDefault(m.Groups[1].Value)?["valueFrom"]?["secretKeyRef"]?["name"] == "aifactory-secrets")
                                     && SecretVariable().IsMatch((string?)replacement["value"] ?? "");
                    Assert.True(fromSecret, $"{overlay}: {name}'s {key} must come from the Secret aifactory-secrets");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Gateway_reaches_every_inference_pod_through_the_headless_service(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var pods = rendered.Single("Service", "inference-pods");
        Assert.Equal("None", (string?)pods["spec"]!["clusterIP"]);
        Assert.Equal("inference", (string?)pods["spec"]!["selector"]!["app"]);
        var ports = pods["spec"]!["ports"]!.AsArray().Select(p => $"{p!["name"]}:{p["port"]}").Order();
        Assert.Equal(["grpc:5181", "http:5180"], ports);

        var gateway = Rendered.Containers(rendered.Single("Deployment", "gateway"), includeInit: false).Single();
        var env = gateway["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
        Assert.Equal("http://inference-pods:5180", env["services__inference__http__0"]);
        Assert.Equal("http://inference-pods:5181", env["services__inference__grpc__0"]);
        Assert.Equal("true", env["Routing__ResolveAllAddresses"]);
    }

    [Fact]
    public async Task Monitoring_scrapes_every_service_and_alerts_on_latency_and_unavailable_models()
    {
        var rendered = await ManifestTools.RenderAsync("overlays/monitoring");
        foreach (var service in new[] { "inference", "gateway", "dashboard" })
        {
            var monitor = rendered.Single("ServiceMonitor", service);
            Assert.Equal(service, (string?)monitor["spec"]!["selector"]!["matchLabels"]!["app"]);
            Assert.Contains(monitor["spec"]!["endpoints"]!.AsArray(), e => (string?)e!["path"] == "/metrics");
        }

        var rules = rendered.OfKind("PrometheusRule").SelectMany(r => r["spec"]!["groups"]!.AsArray())
            .SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!.AsObject()).ToList();
        var latency = Assert.Single(rules, r => ((string?)r["expr"] ?? "").Contains("aifactory_inference_request_duration_seconds_bucket"));
        Assert.Contains("histogram_quantile(0.95", (string)latency["expr"]!);
        Assert.Matches(@">\s*0\.5\s*$", ((string)latency["expr"]!).Trim());
        Assert.Equal("5m", (string?)latency["for"]);
        Assert.Contains(rules, r => ((string?)r["expr"] ?? "").Contains("aifactory_inference_models{state=\"UNAVAILABLE\"}"));

        // The services are labelled so the ServiceMonitors find them, and Prometheus may reach inference.
        var gpu = await ManifestTools.RenderAsync("overlays/gpu");
        foreach (var service in new[] { "inference-pods", "gateway", "dashboard" })
        {
            Assert.NotNull(gpu.Single("Service", service)["metadata"]!["labels"]?["app"]);
        }

        Assert.NotEmpty(rendered.OfKind("NetworkPolicy"));
    }

    [GeneratedRegex(@"\{([a-zA-Z0-9-]+)\.(?:value|inputs)")]
    private static partial Regex ParameterReference();

    [GeneratedRegex(@"&(?:#x?[0-9A-Fa-f]+|amp|lt|gt|quot);")]
    private static partial Regex HtmlEntity();

    [GeneratedRegex(@"\$\(([A-Za-z0-9_]+)\)")]
    private static partial Regex SecretVariable();
}
