using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>Usage counted in memory reaches PostgreSQL, also when a gateway replica stops before its next flush.</summary>
[Collection(AppHostCollection.Name)]
public sealed class UsageMeteringTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_gateway_stopping_gracefully_writes_the_usage_it_counted_by_key_model_version_and_status()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("shutdown-flush", ["infer"], models: [SampleModels.TextDirection]);
        var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            // No periodic flush during the test: only the one at shutdown can write these.
            ["Gateway:Usage:FlushInterval"] = "00:10:00",
        });
        await using (gateway)
        {
            using var client = gateway.CreateClient(key);
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v2/models/{SampleModels.TextDirection}/versions/1").WaitAsync(Timeout)).StatusCode);
            }

            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/v2/models/{SampleModels.TextDetection}").WaitAsync(Timeout)).StatusCode);
            var report = JsonNode.Parse(await admin.GetStringAsync($"/api/admin/usage?key_id={id}").WaitAsync(Timeout))!;
            Assert.Equal(0, report["total_requests"]!.GetValue<long>());
        }

        var rows = JsonNode.Parse(await admin.GetStringAsync($"/api/admin/usage?key_id={id}").WaitAsync(Timeout))!["rows"]!.AsArray()
            .Select(row => (row!["model"]!.GetValue<string>(), row["version"]!.GetValue<string>(), row["status"]!.GetValue<int>(), row["requests"]!.GetValue<long>()))
            .ToList();
        Assert.Equal([(SampleModels.TextDetection, "", 403, 1L), (SampleModels.TextDirection, "1", 200, 5L)], rows);
    }
}
