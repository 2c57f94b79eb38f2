using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Registry;

/// <summary>A fresh AppHost imports its model folder into the registry: the sample models, validated, with their first policy.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RegistrySeedTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_fresh_apphost_has_the_sample_models_ready_with_all_traffic_on_version_1_audited_as_seed_by_system()
    {
        using var admin = fixture.CreateGatewayClient();

        foreach (var sample in new[] { SampleModels.TextDirection, SampleModels.TextDetection })
        {
            var model = await WaitForSeedAsync(admin, sample);

            var first = model["versions"]!.AsArray().Single(version => version!["version"]!.GetValue<int>() == 1)!;
            Assert.Equal(("ready", "system"), (first["state"]!.GetValue<string>(), first["created_by"]!.GetValue<string>()));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Path.Combine(fixture.Models.Path, sample, "config.json"))), first["config"]),
                first["config"]!.ToJsonString());
            Assert.Equal("""{"1":100}""", model["traffic"]!["desired"]!.ToJsonString());
            Assert.Equal("system", model["traffic"]!["updated_by"]!.GetValue<string>());
            var seeded = Assert.Single(await admin.AuditAsync($"model={sample}&action=model.seed"));
            Assert.Equal(("system", 1), (seeded["key_id"]!.GetValue<string>(), seeded["version"]!.GetValue<int>()));
            Assert.Equal("""{"1":100}""", seeded["after"]!["weights"]!.ToJsonString());
            var upload = Assert.Single(await admin.AuditAsync($"model={sample}&action=model.version.upload&key_id=system"));
            Assert.Equal(1, upload["version"]!.GetValue<int>());
        }
    }

    /// <summary>Waits until the seeder has given <paramref name="model"/> its first policy (it validates the sample first); returns the model.</summary>
    public static async Task<JsonNode> WaitForSeedAsync(HttpClient admin, string model)
    {
        var deadline = DateTime.UtcNow + RegistryClient.ValidationTimeout;
        while (true)
        {
            using var response = await admin.GetAsync($"/api/admin/models/{model}");
            if (response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync()) is { } found && found["traffic"]!["policy_id"] is not null)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{model} was not seeded within {RegistryClient.ValidationTimeout}: {(int)response.StatusCode}");
            await Task.Delay(500);
        }
    }
}
