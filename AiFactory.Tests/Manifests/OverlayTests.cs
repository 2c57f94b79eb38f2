using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>What the overlays add to Aspirate's base, checked on what <c>kubectl kustomize</c> renders.</summary>
public sealed partial class OverlayTests
{
    public static TheoryData<string> Folders => ["base", "overlays/gpu", "overlays/cpu", "overlays/monitoring", "overlays/vpa"];

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
    public async Task Only_the_gateway_and_inference_reach_storage(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var policy = Assert.Single(rendered.OfKind("NetworkPolicy"), p => (string?)p["spec"]!["podSelector"]!["matchLabels"]?["app"] == "storage");
        var rules = policy["spec"]!["ingress"]!.AsArray();
        var peers = rules.SelectMany(rule => rule!["from"]!.AsArray()).ToList();
        Assert.Equal(["gateway", "inference"], peers.Select(peer => (string?)peer!["podSelector"]!["matchLabels"]!["app"]).Order());
        Assert.All(peers, peer => Assert.True(peer!["namespaceSelector"] is null && peer["ipBlock"] is null));
        Assert.Equal([8333], rules.SelectMany(rule => rule!["ports"]!.AsArray()).Select(port => (int)port!["port"]!));
    }

    /// <summary>The console keeps its sessions and data-protection keys in Redis: it reaches Redis, as the gateway does, and nothing else does.</summary>
    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Only_the_gateway_and_the_console_reach_redis(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var policy = Assert.Single(rendered.OfKind("NetworkPolicy"), p => (string?)p["spec"]!["podSelector"]!["matchLabels"]?["app"] == "cache");
        var rules = policy["spec"]!["ingress"]!.AsArray();
        var peers = rules.SelectMany(rule => rule!["from"]!.AsArray()).ToList();
        Assert.Equal(["dashboard", "gateway"], peers.Select(peer => (string?)peer!["podSelector"]!["matchLabels"]!["app"]).Order());
        Assert.All(peers, peer => Assert.True(peer!["namespaceSelector"] is null && peer["ipBlock"] is null));
        Assert.Equal([6379], rules.SelectMany(rule => rule!["ports"]!.AsArray()).Select(port => (int)port!["port"]!));
        var console = Rendered.Containers(rendered.Single("Deployment", "dashboard"), includeInit: false).Single();
        Assert.Equal("cache-password", SecretKey(Variables(console)["CACHE_PASSWORD"]));
    }

    /// <summary>
    /// Aspirate HTML-encodes container arguments, which would break SeaweedFS's start command: the overlay runs the
    /// AppHost's command as it is, with the S3 credentials from the Secret and the data on a claim sized for models.
    /// </summary>
    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Storage_runs_the_apphosts_command_with_credentials_from_the_secret_on_its_own_volume(string overlay)
    {
        var storage = (await ManifestTools.RenderAsync(overlay)).Single("StatefulSet", "storage");
        var container = Rendered.Containers(storage, includeInit: false).Single();
        Assert.Equal(["-c", AiFactory.AppHost.Infrastructure.StorageResources.SeaweedFsCommand], container["args"]!.AsArray().Select(a => (string?)a));
        foreach (var (variable, key) in new[] { ("S3_ACCESS_KEY", "storage-access-key"), ("S3_SECRET_KEY", "storage-secret-key") })
        {
            var secret = container["env"]!.AsArray().Single(e => (string?)e!["name"] == variable)!["valueFrom"]!["secretKeyRef"]!;
            Assert.Equal(("aifactory-secrets", key), ((string?)secret["name"], (string?)secret["key"]));
        }

        Assert.Contains(container["volumeMounts"]!.AsArray(), m => (string?)m!["name"] == "storage-data" && (string?)m["mountPath"] == "/data");
        var claim = Assert.Single(storage["spec"]!["volumeClaimTemplates"]!.AsArray())!;
        Assert.Equal("20Gi", (string?)claim["spec"]!["resources"]!["requests"]!["storage"]);
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

    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Inference_replicas_pull_the_registrys_models_into_a_cache_of_their_own_as_a_read_only_role(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var deployment = rendered.Single("Deployment", "inference");
        var pod = Rendered.PodSpec(deployment);
        var inference = Rendered.Containers(deployment, includeInit: false).Single();

        // No models image any more: the reconciler downloads what the registry lists into /models, an emptyDir per pod.
        Assert.Null(pod["initContainers"]);
        var mount = Assert.Single(inference["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/models")!;
        var volume = Assert.Single(pod["volumes"]!.AsArray(), v => (string?)v!["name"] == (string?)mount["name"])!;
        Assert.NotNull(volume["emptyDir"]);
        Assert.Equal("true", rendered.Single("ConfigMap", "inference-env")["data"]!["Registry__Enabled"]!.GetValue<string>());

        // The registry's tables as aifactory_inference (SELECT on three tables), never the gateway's role or the superuser.
        var variables = Variables(inference);
        Assert.Equal("inference-db-password", SecretKey(variables["INFERENCE_DB_PASSWORD"]));
        Assert.Equal("Host=postgres;Port=5432;Username=aifactory_inference;Password=$(INFERENCE_DB_PASSWORD);Database=aifactory",
            (string?)variables["ConnectionStrings__aifactory"]["value"]);
        Assert.DoesNotContain(variables.Values, variable => SecretKey(variable) is "postgres-password" or "gateway-db-password");

        // It reaches PostgreSQL (and the object store, Only_the_gateway_and_inference_reach_storage), nothing else of the data tier.
        var postgres = Assert.Single(rendered.OfKind("NetworkPolicy"), p => (string?)p["spec"]!["podSelector"]!["matchLabels"]?["app"] == "postgres");
        Assert.Equal(["gateway", "inference"], postgres["spec"]!["ingress"]!.AsArray().SelectMany(rule => rule!["from"]!.AsArray())
            .Select(peer => (string?)peer!["podSelector"]!["matchLabels"]!["app"]).Order());
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
        Assert.Equal(["grpc:5181", "http:5180", "management:5182"], ports);

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

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Redis_is_bounded_well_below_its_memory_limit_and_evicts_only_keys_with_an_expiry(string overlay)
    {
        var cache = Rendered.Containers((await ManifestTools.RenderAsync(overlay)).Single("StatefulSet", "cache"), includeInit: false).Single();
        var command = string.Join(' ', cache["args"]!.AsArray().Select(argument => (string?)argument));

        Assert.Contains("--maxmemory-policy volatile-lru", command);
        var maxMemory = MaxMemory().Match(command);
        Assert.True(maxMemory.Success, $"the cache has no --maxmemory in megabytes: {command}");
        var limit = MemoryQuantity().Match((string)cache["resources"]!["limits"]!["memory"]!);
        var limitMiB = long.Parse(limit.Groups[1].Value) * (limit.Groups[2].Value == "Gi" ? 1024 : 1);
        // Snapshots fork Redis (copy-on-write), and buffers and fragmentation are not counted by maxmemory.
        Assert.True(long.Parse(maxMemory.Groups[1].Value) * 2 <= limitMiB, $"maxmemory {maxMemory.Value} leaves too little of the {limit.Value} limit");
    }

    /// <summary>
    /// Prometheus scrapes every service on its management port, the monitoring policy opens that port and no other,
    /// and no policy of the cluster overlays opens it: clients and other pods never reach /metrics.
    /// </summary>
    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Prometheus_and_only_prometheus_reaches_the_management_ports(string overlay)
    {
        var monitoring = await ManifestTools.RenderAsync("overlays/monitoring");
        foreach (var monitor in monitoring.OfKind("ServiceMonitor"))
        {
            Assert.All(monitor["spec"]!["endpoints"]!.AsArray(), endpoint => Assert.Equal("management", (string?)endpoint!["port"]));
        }

        var scrape = Assert.Single(monitoring.OfKind("NetworkPolicy"));
        var rules = scrape["spec"]!["ingress"]!.AsArray();
        Assert.All(rules, rule =>
        {
            Assert.NotEmpty(rule!["from"]!.AsArray());
            Assert.Equal(["management"], rule["ports"]!.AsArray().Select(port => port!["port"]!.ToString()));
        });

        var rendered = await ManifestTools.RenderAsync(overlay);
        foreach (var service in new[] { "inference", "gateway", "dashboard" })
        {
            var container = Rendered.Containers(rendered.Single("Deployment", service), includeInit: false).Single();
            var port = Assert.Single(container["ports"]!.AsArray(), p => (string?)p!["name"] == "management")!;
            Assert.Contains(rendered.OfKind("Service").Where(s => (string?)s["metadata"]!["labels"]?["app"] == service),
                s => s["spec"]!["ports"]!.AsArray().Any(p => (string?)p!["name"] == "management"));

            var policies = rendered.OfKind("NetworkPolicy").Where(p => (string?)p["spec"]!["podSelector"]!["matchLabels"]?["app"] == service).ToList();
            Assert.True(policies.Count > 0, $"{overlay}: no NetworkPolicy selects {service}, so every pod reaches its management port");
            foreach (var rule in policies.SelectMany(p => p["spec"]!["ingress"]?.AsArray() ?? []))
            {
                var opened = rule!["ports"]?.AsArray().Select(p => p!["port"]!.ToString()).ToList();
                Assert.True(opened is not null && !opened.Contains("management") && !opened.Contains(port["containerPort"]!.ToString()),
                    $"{overlay}: a NetworkPolicy of {service} opens its management port ({string.Join(", ", opened ?? ["every port"])})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Without_redis_each_gateway_replica_assumes_at_least_the_autoscalers_minimum_of_replicas(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var gateway = Rendered.Containers(rendered.Single("Deployment", "gateway"), includeInit: false).Single();
        var env = gateway["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);

        Assert.Equal((string?)rendered.Single("HorizontalPodAutoscaler", "gateway")["spec"]!["minReplicas"]!.ToString(), env["Gateway__RateLimits__MinReplicas"]);
    }

    [Fact]
    public async Task Monitoring_alerts_when_a_gateway_replica_enforces_rate_limits_alone_because_redis_is_unreachable()
    {
        var rules = (await ManifestTools.RenderAsync("overlays/monitoring")).OfKind("PrometheusRule").SelectMany(r => r["spec"]!["groups"]!.AsArray())
            .SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!.AsObject()).ToList();

        var degraded = Assert.Single(rules, r => ((string?)r["expr"] ?? "").Contains("aifactory_gateway_ratelimit_degraded"));
        Assert.Matches(@">\s*0\s*$", ((string)degraded["expr"]!).Trim());
        Assert.NotNull(degraded["alert"]);
        Assert.NotNull(degraded["labels"]?["severity"]);
        Assert.Contains((string?)degraded["for"], new[] { "1m", "2m", "5m" });
    }

    [GeneratedRegex(@"--maxmemory (\d+)mb\b")]
    private static partial Regex MaxMemory();

    [GeneratedRegex(@"^(\d+)(Mi|Gi)$")]
    private static partial Regex MemoryQuantity();

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task The_gateway_reaches_postgres_as_its_own_role_and_never_holds_the_superuser_password(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var gateway = Variables(Rendered.Containers(rendered.Single("Deployment", "gateway"), includeInit: false).Single());
        Assert.DoesNotContain(gateway.Values, variable => SecretKey(variable) == "postgres-password");
        Assert.Equal("gateway-db-password", SecretKey(gateway["GATEWAY_DB_PASSWORD"]));
        Assert.Equal("Host=postgres;Port=5432;Username=aifactory_gateway;Password=$(GATEWAY_DB_PASSWORD);Database=aifactory",
            (string?)gateway["ConnectionStrings__aifactory"]["value"]);

        // The postgres image runs /docker-entrypoint-initdb.d at its first start: the script that makes the role.
        var postgres = rendered.Single("StatefulSet", "postgres");
        var container = Rendered.Containers(postgres, includeInit: false).Single();
        Assert.Equal("gateway-db-password", SecretKey(Variables(container)["GATEWAY_DB_PASSWORD"]));
        var mount = Assert.Single(container["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/docker-entrypoint-initdb.d")!;
        var volume = Assert.Single(Rendered.PodSpec(postgres)["volumes"]!.AsArray(), v => (string?)v!["name"] == (string?)mount["name"])!;
        var scripts = rendered.Single("ConfigMap", (string)volume["configMap"]!["name"]!)["data"]!;
        foreach (var name in new[] { "gateway-role.sql", "inference-role.sql" })
        {
            var script = await File.ReadAllTextAsync(Path.Combine(ManifestTools.ManifestsRoot, "overlays", "common", "postgres-init", name));
            Assert.Equal(script, (string?)scripts[name]);
        }

        Assert.Equal("inference-db-password", SecretKey(Variables(container)["INFERENCE_DB_PASSWORD"]));
    }

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task The_console_holds_no_key_and_only_the_gateway_holds_the_admin_key(string overlay)
    {
        var rendered = await ManifestTools.RenderAsync(overlay);
        var dashboard = Variables(Rendered.Containers(rendered.Single("Deployment", "dashboard"), includeInit: false).Single());
        var gateway = Variables(Rendered.Containers(rendered.Single("Deployment", "gateway"), includeInit: false).Single());
        Assert.DoesNotContain(dashboard.Keys, name => name.Contains("ApiKey"));
        Assert.DoesNotContain(gateway.Keys, name => name.Contains("DashboardKey"));
        Assert.Equal("gateway-admin-key", SecretKey(gateway["Gateway__ApiKeys__BootstrapAdminKey"]));

        var holders = rendered.Workloads.SelectMany(workload => Rendered.Containers(workload)
                .Where(c => Variables(c).Values.Any(variable => SecretKey(variable) == "gateway-admin-key"))
                .Select(c => $"{Rendered.Name(workload)}/{c["name"]}"));
        Assert.Equal(["gateway/gateway"], holders);
    }

    private static Dictionary<string, JsonObject> Variables(JsonObject container) =>
        container["env"]?.AsArray().Select(e => e!.AsObject()).ToDictionary(e => (string)e["name"]!) ?? [];

    private static string? SecretKey(JsonObject variable) => (string?)variable["valueFrom"]?["secretKeyRef"]?["key"];

    [Fact]
    public async Task Monitoring_alerts_when_a_gateway_usage_backlog_grows_and_when_it_refuses_requests()
    {
        var rules = (await ManifestTools.RenderAsync("overlays/monitoring")).OfKind("PrometheusRule")
            .SelectMany(r => r["spec"]!["groups"]!.AsArray()).SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!.AsObject()).ToList();

        // The metric names are the ones the gateway exports (UsageMeteringTests reads them from its /metrics).
        var growing = Assert.Single(rules, r => (string?)r["alert"] == "AiFactoryGatewayUsageBacklogGrowing");
        Assert.Contains("aifactory_gateway_usage_backlog / aifactory_gateway_usage_backlog_limit", (string)growing["expr"]!);
        Assert.NotNull(growing["for"]);
        var full = Assert.Single(rules, r => (string?)r["alert"] == "AiFactoryGatewayUsageBacklogFull");
        Assert.Contains("aifactory_gateway_usage_rejections_total", (string)full["expr"]!);
        Assert.Equal("critical", (string?)full["labels"]!["severity"]);
    }

    [GeneratedRegex(@"\{([a-zA-Z0-9-]+)\.(?:value|inputs)")]
    private static partial Regex ParameterReference();

    [GeneratedRegex(@"&(?:#x?[0-9A-Fa-f]+|amp|lt|gt|quot);")]
    private static partial Regex HtmlEntity();

    [GeneratedRegex(@"\$\(([A-Za-z0-9_]+)\)")]
    private static partial Regex SecretVariable();
}
