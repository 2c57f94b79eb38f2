using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiFactory.Tests.Infrastructure;

/// <summary>The gateway's admin API as a test uses it.</summary>
public static class AdminClient
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates a key through <c>POST /api/admin/keys</c>; returns its id and plaintext.</summary>
    public static async Task<(string Id, string Key)> CreateKeyAsync(this HttpClient admin, string name, string[] scopes,
        string[]? models = null, double? requestsPerSecond = null, int? burst = null, int? maxConcurrency = null)
    {
        var request = new JsonObject
        {
            ["name"] = name,
            ["scopes"] = new JsonArray([.. scopes.Select(scope => JsonValue.Create(scope))]),
            ["models"] = models is null ? null : new JsonArray([.. models.Select(model => JsonValue.Create(model))]),
            ["requests_per_second"] = requestsPerSecond,
            ["burst"] = burst,
            ["max_concurrency"] = maxConcurrency,
        };
        using var response = await admin.PostAsJsonAsync("/api/admin/keys", request).WaitAsync(Timeout);
        var body = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating a key: {(int)response.StatusCode} {body}");
        var created = JsonNode.Parse(body)!;
        return (created["details"]!["id"]!.GetValue<string>(), created["key"]!.GetValue<string>());
    }

    public static async Task RevokeKeyAsync(this HttpClient admin, string id)
    {
        using var response = await admin.DeleteAsync($"/api/admin/keys/{id}").WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The usage report of one key (<c>GET /api/admin/usage?key_id=</c>).</summary>
    public static async Task<JsonNode> UsageAsync(this HttpClient admin, string keyId) =>
        JsonNode.Parse(await admin.GetStringAsync($"/api/admin/usage?key_id={keyId}").WaitAsync(Timeout))!;

    /// <summary>
    /// Polls the usage report of one key until it counts <paramref name="requests"/> or <paramref name="within"/> has
    /// passed (gateways write usage every few seconds), and returns the last report. A failed call counts as not yet:
    /// the admin API cannot answer while PostgreSQL is down.
    /// </summary>
    public static async Task<JsonNode> WaitForUsageAsync(this HttpClient admin, string keyId, long requests, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonNode? report = null;
        do
        {
            await Task.Delay(500);
            using var response = await admin.GetAsync($"/api/admin/usage?key_id={keyId}").WaitAsync(Timeout);
            if (response.IsSuccessStatusCode)
            {
                report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            }
        }
        while ((report is null || report["total_requests"]!.GetValue<long>() < requests) && DateTime.UtcNow < deadline);

        Assert.True(report is not null, $"the usage report of key {keyId} could not be read");
        return report;
    }
}
