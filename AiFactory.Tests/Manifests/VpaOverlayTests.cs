using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>
/// The optional VPA overlay: recommendations for every stateful service, never an eviction (a one-replica StatefulSet
/// would be down while its pod restarts), each aimed at a StatefulSet and container the cluster overlays really have.
/// </summary>
public sealed class VpaOverlayTests
{
    private static readonly string[] StatefulServices = ["cache", "postgres", "storage"];

    [Theory]
    [MemberData(nameof(OverlayTests.ClusterOverlays), MemberType = typeof(OverlayTests))]
    public async Task Every_stateful_service_gets_a_recommendation_only_vpa_aimed_at_its_statefulset_and_container(string overlay)
    {
        var cluster = await ManifestTools.RenderAsync(overlay);
        var vpas = (await ManifestTools.RenderAsync("overlays/vpa")).OfKind("VerticalPodAutoscaler").ToArray();

        Assert.Equal(StatefulServices, cluster.OfKind("StatefulSet").Select(Rendered.Name).Order());
        Assert.Equal(StatefulServices, vpas.Select(vpa => (string)vpa["spec"]!["targetRef"]!["name"]!).Order());
        foreach (var vpa in vpas)
        {
            var spec = vpa["spec"]!;
            var target = cluster.Single("StatefulSet", (string)spec["targetRef"]!["name"]!);
            Assert.Equal("StatefulSet", (string?)spec["targetRef"]!["kind"]);
            Assert.Equal("apps/v1", (string?)spec["targetRef"]!["apiVersion"]);
            Assert.Equal("Off", (string?)spec["updatePolicy"]!["updateMode"]);
            var containers = Rendered.Containers(target, includeInit: false).Select(container => (string)container["name"]!).ToArray();
            Assert.All(spec["resourcePolicy"]!["containerPolicies"]!.AsArray(),
                policy => Assert.Contains((string)policy!["containerName"]!, containers));
        }
    }

    [Fact]
    public async Task The_schema_check_refuses_a_vpa_with_an_unknown_mode_or_a_misspelled_field()
    {
        const string yaml = """
            apiVersion: autoscaling.k8s.io/v1
            kind: VerticalPodAutoscaler
            metadata: {name: cache}
            spec:
              targetRef: {apiVersion: apps/v1, kind: StatefulSet, name: cache}
              updatePolicy: {updateMode: Sometimes}
              resourcePolicy:
                containerPolicies:
                - containerNme: cache
            """;

        var json = await ManifestTools.RunAsync("node", [Path.Combine(ManifestTools.ValidatorFolder, "validate.mjs")], ManifestTools.ValidatorFolder, stdin: yaml);
        var error = Assert.Single(System.Text.Json.Nodes.JsonNode.Parse(json)!["errors"]!.AsArray())!.GetValue<string>();

        Assert.StartsWith("VerticalPodAutoscaler/cache:", error);
        Assert.Contains("updateMode must be equal to one of the allowed values", error);
        Assert.Contains("containerPolicies/0 must NOT have additional properties", error);
    }
}
