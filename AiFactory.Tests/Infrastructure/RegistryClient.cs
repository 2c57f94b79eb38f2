using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiFactory.Tests.Infrastructure;

/// <summary>The gateway's registry API (models, versions, traffic, audit) as a test uses it.</summary>
public static class RegistryClient
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>How long a test waits for a version's validation: it queues behind the others on a busy machine.</summary>
    public static readonly TimeSpan ValidationTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The text-direction sample's config.json, as the repository has it.</summary>
    public static string SampleConfig { get; } = File.ReadAllText(Path.Combine(RepositoryPaths.Models, SampleModels.TextDirection, "config.json"));

    /// <summary>A model name no other test uses.</summary>
    public static string NewModelName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];

    /// <summary>The text-direction sample as another artifact (same graph, other bytes: a doc string appended).</summary>
    public static byte[] SampleVariant(string note) =>
        OnnxModelWriter.WithDocString(File.ReadAllBytes(RepositoryPaths.Model(SampleModels.TextDirection)), $"{note} {Guid.NewGuid()}");

    public static string VersionsPath(string model, string? config = null) =>
        $"/api/admin/models/{model}/versions" + (config is null ? "" : $"?config={Uri.EscapeDataString(config)}");

    /// <summary>Posts <paramref name="bytes"/> as a new version (application/octet-stream).</summary>
    public static Task<HttpResponseMessage> PostVersionAsync(this HttpClient admin, string model, byte[] bytes, string? config = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return admin.PostAsync(VersionsPath(model, config), content).WaitAsync(Timeout);
    }

    /// <summary>Uploads a version and returns the 201's body; fails the test on any other answer.</summary>
    public static async Task<JsonNode> UploadAsync(this HttpClient admin, string model, byte[] bytes, string? config = null)
    {
        using var response = await admin.PostVersionAsync(model, bytes, config);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"uploading a version of {model}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Polls the version until validation has decided (state no longer <c>validating</c>) and returns it.</summary>
    public static async Task<JsonNode> WaitForValidationAsync(this HttpClient admin, string model, int version, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? ValidationTimeout);
        while (true)
        {
            var current = JsonNode.Parse(await admin.GetStringAsync($"/api/admin/models/{model}/versions/{version}").WaitAsync(Timeout))!;
            if (current["state"]!.GetValue<string>() != "validating")
            {
                return current;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{model} version {version} is still validating after {within ?? ValidationTimeout}");
            await Task.Delay(500);
        }
    }

    /// <summary>Uploads a version and waits until it is validated; asserts that it is ready.</summary>
    public static async Task<JsonNode> UploadReadyAsync(this HttpClient admin, string model, byte[] bytes, string? config = null)
    {
        var uploaded = await admin.UploadAsync(model, bytes, config);
        var version = await admin.WaitForValidationAsync(model, uploaded["version"]!.GetValue<int>());
        Assert.True(version["state"]!.GetValue<string>() == "ready", $"{model} version {uploaded["version"]} is not ready: {version.ToJsonString()}");
        return version;
    }

    public static Task<HttpResponseMessage> PutTrafficAsync(this HttpClient admin, string model, JsonObject body) =>
        admin.PutAsJsonAsync($"/api/admin/models/{model}/traffic", body).WaitAsync(Timeout);

    /// <summary>Sets the weights (<c>{"1": 90, "2": 10}</c>) and returns the 200's body; fails the test on any other answer.</summary>
    public static async Task<JsonNode> SetTrafficAsync(this HttpClient admin, string model, string weights, string reason, bool force = false)
    {
        using var response = await admin.PutTrafficAsync(model, new JsonObject { ["weights"] = JsonNode.Parse(weights), ["reason"] = reason, ["force"] = force });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"setting the traffic of {model} to {weights}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    public static Task<HttpResponseMessage> PostRollbackAsync(this HttpClient admin, string model, string reason) =>
        admin.PostAsJsonAsync($"/api/admin/models/{model}/rollback", new JsonObject { ["reason"] = reason }).WaitAsync(Timeout);

    /// <summary>Audit entries (<c>GET /api/admin/audit?{query}</c>), newest first.</summary>
    public static async Task<List<JsonNode>> AuditAsync(this HttpClient admin, string query) =>
        [.. JsonNode.Parse(await admin.GetStringAsync($"/api/admin/audit?{query}").WaitAsync(Timeout))!.AsArray().OfType<JsonNode>()];

    public static async Task<JsonNode> ModelAsync(this HttpClient admin, string model) =>
        JsonNode.Parse(await admin.GetStringAsync($"/api/admin/models/{model}").WaitAsync(Timeout))!;
}
