using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway.HostileInput;

/// <summary>
/// Metering poisoning: a caller names a model the meter cannot store (a NUL byte after the gateway's second decoding,
/// a name too long, characters no model has). Such usage counts under the one bucket "(invalid)", and it never stops
/// the gateway from writing anyone's usage.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class MeteringAttackTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string Invalid = "(invalid)";
    private const string Model = SampleModels.TextDirection;

    /// <summary>Hostile paths and the (model, version) their usage must count under.</summary>
    private static readonly (string Path, string Model, string Version)[] Hostile =
    [
        ("/v2/models/a%2500b", Invalid, ""),                         // %25 decodes to '%', then "%00" to NUL
        ("/v2/models/a%2500b/versions/1/infer", Invalid, ""),
        ($"/v2/models/{Model}/versions/1%2500", Invalid, ""),        // NUL in the version: the path names no valid target
        ($"/v2/models/{new string('m', 300)}", Invalid, ""),         // longer than any model name
        ("/v2/models/caf%C3%A9", Invalid, ""),                       // not a model name's characters
        ("/v2/models/a%25C3%2528", Invalid, ""),                     // invalid UTF-8 after the second decoding
    ];

    [Fact]
    public async Task Metering_poisoning_with_a_nul_byte_in_the_model_name_counts_under_one_bucket_and_later_usage_is_written_exactly()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("metering-poisoning", ["infer"]);
        using var client = fixture.CreateGatewayClient(key);

        var expected = new Dictionary<(string Model, string Version, int Status), long>();
        foreach (var (path, model, version) in Hostile)
        {
            using var request = new HttpRequestMessage(path.EndsWith("/infer") ? HttpMethod.Post : HttpMethod.Get, path);
            using var response = await client.SendAsync(request).WaitAsync(Timeout);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{path}: {(int)response.StatusCode}");
            Add(expected, (model, version, (int)response.StatusCode));
        }

        // The hostile usage is written by a flush of its own: the requests after it go into later flushes.
        await WaitForUsageAsync(admin, id, Hostile.Length, "the hostile requests' usage never reached PostgreSQL");

        const int later = 10;
        for (var i = 0; i < later; i++)
        {
            using var response = await client.GetAsync($"/v2/models/{Model}").WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The traffic split names the version that serves the model (its policy's), metadata included.
        Add(expected, (Model, "1", 200), later);
        var report = await WaitForUsageAsync(admin, id, Hostile.Length + later, "the later requests' usage never reached PostgreSQL");
        var rows = report["rows"]!.AsArray().ToDictionary(
            row => (row!["model"]!.GetValue<string>(), row["version"]!.GetValue<string>(), row["status"]!.GetValue<int>()),
            row => row!["requests"]!.GetValue<long>());
        Assert.Equal(expected.OrderBy(row => row.Key), rows.OrderBy(row => row.Key));
    }

    private static void Add(Dictionary<(string, string, int), long> counts, (string, string, int) row, long requests = 1) =>
        counts[row] = counts.GetValueOrDefault(row) + requests;

    private static async Task<JsonNode> WaitForUsageAsync(HttpClient admin, string keyId, long requests, string failure)
    {
        // The gateway flushes every 5 s; four flushes are plenty.
        var report = await admin.WaitForUsageAsync(keyId, requests, TimeSpan.FromSeconds(20));
        Assert.True(requests == report["total_requests"]!.GetValue<long>(), $"{failure}: {report.ToJsonString()}");
        return report;
    }
}
