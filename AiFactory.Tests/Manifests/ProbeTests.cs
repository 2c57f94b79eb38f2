using System.Net;
using Aspire.Hosting.Testing;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>
/// Every HTTP probe the overlays declare answers 200 on the running application: the paths are read from the
/// rendered manifests, so a probe pointing at a wrong path or port fails here before it fails in a cluster.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ProbeTests(AppHostFixture fixture)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string> ClusterOverlays => OverlayTests.ClusterOverlays;

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Every_http_probe_answers_200(string overlay)
    {
        var probes = (await ManifestTools.RenderAsync(overlay)).Workloads
            .SelectMany(workload => Rendered.Containers(workload, includeInit: false)
                .SelectMany(container => new[] { "startupProbe", "readinessProbe", "livenessProbe" }
                    .Select(kind => container[kind]?["httpGet"])
                    .OfType<System.Text.Json.Nodes.JsonNode>()
                    .Select(get => (Resource: Rendered.Name(workload), Port: (string)get["port"]!, Path: (string)get["path"]!))))
            .Distinct()
            .ToList();
        Assert.Contains(probes, p => p.Resource == "inference" && p.Path == "/v2/health/ready");

        foreach (var (resource, port, path) in probes)
        {
            // Probes name the container port, which is the Aspire endpoint of the same name. Locally the inference
            // Deployment's pods are the resources inference-1..N; every one must answer.
            foreach (var local in resource == "inference" ? AppHostFixture.InferenceReplicas : [resource])
            {
                using var client = fixture.App.CreateHttpClient(local, port);
                using var response = await client.GetAsync(path).WaitAsync(RequestTimeout);
                Assert.True(response.StatusCode == HttpStatusCode.OK,
                    $"{overlay}: {local} probe GET {path} on port '{port}' answered {(int)response.StatusCode}");
            }
        }
    }
}
