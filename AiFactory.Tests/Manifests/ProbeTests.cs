using System.Net;
using System.Text.Json.Nodes;
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
    private static readonly TimeSpan ReloadTimeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string> ClusterOverlays => OverlayTests.ClusterOverlays;

    [Theory]
    [MemberData(nameof(ClusterOverlays))]
    public async Task Every_http_probe_answers_200(string overlay)
    {
        var probes = await HttpProbesAsync(overlay);
        Assert.Contains(probes, p => p.Resource == "inference" && p.Kind == "readinessProbe" && p.Path == "/health");

        foreach (var (resource, _, port, path) in probes)
        {
            // Probes name the container port, which is the Aspire endpoint of the same name. Locally the inference
            // Deployment's pods are the resources inference-1..N; every one must answer.
            foreach (var local in resource == "inference" ? AppHostFixture.InferenceReplicas : [resource])
            {
                using var response = await GetAsync(local, port, path);
                Assert.True(response.StatusCode == HttpStatusCode.OK,
                    $"{overlay}: {local} probe GET {path} on port '{port}' answered {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Inference_stays_ready_and_serves_its_other_models_while_one_model_is_broken()
    {
        const string broken = "broken-model";
        var probes = new List<(string Resource, string Kind, string Port, string Path)>();
        foreach (var overlay in OverlayTests.ClusterOverlays)
        {
            probes.AddRange((await HttpProbesAsync(overlay)).Where(p => p.Resource == "inference" && p.Kind != "livenessProbe"));
        }

        // In the registry as ready (validation would have refused it): the replicas download it and fail to load it.
        await fixture.ServeModelAsync(broken, "not an ONNX model"u8.ToArray(), "{}");
        try
        {
            await fixture.WaitForModelReadinessAsync(broken, HttpStatusCode.ServiceUnavailable, ReloadTimeout);

            foreach (var replica in AppHostFixture.InferenceReplicas)
            {
                foreach (var (_, kind, port, path) in probes.Distinct())
                {
                    using var probe = await GetAsync(replica, port, path);
                    Assert.True(probe.StatusCode == HttpStatusCode.OK,
                        $"{replica} {kind} GET {path} answered {(int)probe.StatusCode} with '{broken}' broken: the replica would leave the Service");
                }

                using var http = new HttpClient { BaseAddress = fixture.App.GetEndpoint(replica, "http") };
                var image = SampleModels.RandomImage(seed: 9, 1, 3, 48, 192);
                using var served = await http.PostAsync($"/v2/models/{SampleModels.TextDirection}/infer",
                    OipRequests.BinaryFp32(SampleModels.TextDirectionInput, [1, 3, 48, 192], image)).WaitAsync(RequestTimeout);
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);

                // The protocol's own server readiness stays strict, and says which model is not ready.
                using var strict = await http.GetAsync("/v2/health/ready").WaitAsync(RequestTimeout);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, strict.StatusCode);
                Assert.Contains($"{broken}/1 (UNAVAILABLE)", OipRequests.ErrorOf(await strict.Content.ReadAsStringAsync()).GetString());
            }
        }
        finally
        {
            await fixture.RemoveModelAsync(broken, ReloadTimeout);
        }
    }

    /// <summary>The HTTP probes of every container the overlay renders: its workload, the probe's kind, port and path.</summary>
    private static async Task<List<(string Resource, string Kind, string Port, string Path)>> HttpProbesAsync(string overlay) =>
        [.. (await ManifestTools.RenderAsync(overlay)).Workloads
            .SelectMany(workload => Rendered.Containers(workload, includeInit: false)
                .SelectMany(container => new[] { "startupProbe", "readinessProbe", "livenessProbe" }
                    .Where(kind => container[kind]?["httpGet"] is JsonNode)
                    .Select(kind => (Resource: Rendered.Name(workload), Kind: kind,
                        Port: (string)container[kind]!["httpGet"]!["port"]!, Path: (string)container[kind]!["httpGet"]!["path"]!))))
            .Distinct()];

    // A plain client, as the kubelet is: the testing builder's own clients retry 5xx answers.
    private async Task<HttpResponseMessage> GetAsync(string resource, string port, string path)
    {
        using var client = new HttpClient { BaseAddress = fixture.App.GetEndpoint(resource, port) };
        return await client.GetAsync(path).WaitAsync(RequestTimeout);
    }
}
