using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Registry;

/// <summary>Traffic weights over a model's ready versions, applied whole or not at all, and rollbacks through the policies' history.</summary>
[Collection(AppHostCollection.Name)]
public sealed class TrafficPolicyTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Rollbacks_walk_back_through_the_policies_and_the_first_has_nothing_to_return_to()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = await ModelWithTwoReadyVersionsAsync(admin);
        await admin.SetTrafficAsync(model, """{"1": 100}""", "first");
        await admin.SetTrafficAsync(model, """{"1": 90, "2": 10}""", "canary");
        var promoted = await admin.SetTrafficAsync(model, """{"2": 100}""", "promote");

        using var back = await admin.PostRollbackAsync(model, "v2 p95 too high");
        using var further = await admin.PostRollbackAsync(model, "not even the canary");
        using var nothing = await admin.PostRollbackAsync(model, "there is nothing before the first");

        Assert.Equal("""{"2":100}""", promoted["desired"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal("""{"1":90,"2":10}""", JsonNode.Parse(await back.Content.ReadAsStringAsync())!["desired"]!.ToJsonString());
        Assert.Equal("""{"1":100}""", JsonNode.Parse(await further.Content.ReadAsStringAsync())!["desired"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, nothing.StatusCode);
        Assert.StartsWith($"model '{model}' has nothing to roll back to: its policy ", OipRequests.ErrorOf(await nothing.Content.ReadAsStringAsync()).GetString());
        var traffic = (await admin.ModelAsync(model))["traffic"]!;
        Assert.Equal(("""{"1":100}""", "not even the canary"), (traffic["desired"]!.ToJsonString(), traffic["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_model_without_a_policy_has_nothing_to_roll_back_and_an_unknown_model_is_404()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("no-policy");
        await admin.UploadAsync(model, OnnxModelWriter.Chain("x", "y", "FP32", "Identity"));

        using var none = await admin.PostRollbackAsync(model, "nothing set yet");
        using var unknown = await admin.PostRollbackAsync(RegistryClient.NewModelName("unknown"), "no such model");

        Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
        Assert.Equal($"model '{model}' has no traffic policy: there is nothing to roll back", OipRequests.ErrorOf(await none.Content.ReadAsStringAsync()).GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData("""{"weights": {"1": 90}, "reason": "r"}""", "'weights' must sum to 100, not 90")]
    [InlineData("""{"weights": {"1": 101, "2": -1}, "reason": "r"}""", "'weights.1' must be between 0 and 100, not 101")]
    [InlineData("""{"weights": {"01": 100}, "reason": "r"}""", "'weights' has the key '01', which is not a version (a positive integer)")]
    [InlineData("""{"weights": {"one": 100}, "reason": "r"}""", "'weights' has the key 'one', which is not a version (a positive integer)")]
    [InlineData("""{"weights": {}, "reason": "r"}""", "'weights' is required: {\"<version>\": percent, ...}, whole percents summing to 100")]
    [InlineData("""{"weights": {"1": 100}}""", "'reason' is required, at most 1000 characters: say why (it goes into the audit log)")]
    [InlineData("""{"weights": {"1": 100}, "reason": "   "}""", "'reason' is required, at most 1000 characters: say why (it goes into the audit log)")]
    [InlineData("""{"weights": {"3": 100}, "reason": "r"}""", "'weights' names version 3, which model '{model}' does not have")]
    [InlineData("""{"weights": {"1": 50, "2": 50}, "reason": "r"}""", "'weights' names version 2, which is invalid, not ready: only ready versions take traffic")]
    public async Task Bad_weights_are_a_400_naming_the_field_and_change_nothing(string body, string error)
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("weights");
        await admin.UploadReadyAsync(model, OnnxModelWriter.Chain("x", "y", "FP32", "Identity"));
        var invalid = await admin.UploadAsync(model, "not a model"u8.ToArray());
        await admin.WaitForValidationAsync(model, invalid["version"]!.GetValue<int>());

        using var response = await admin.PutTrafficAsync(model, JsonNode.Parse(body)!.AsObject());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error.Replace("{model}", model), OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        Assert.Null((await admin.ModelAsync(model))["traffic"]!["policy_id"]);
    }

    [Fact]
    public async Task A_weight_that_is_not_a_whole_number_is_a_400_naming_its_json_path()
    {
        using var admin = fixture.CreateGatewayClient();
        using var content = new StringContent("""{"weights": {"1": 50.5, "2": 49.5}, "reason": "r"}""", System.Text.Encoding.UTF8, "application/json");

        using var response = await admin.PutAsync($"/api/admin/models/{SampleModels.TextDirection}/traffic", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Path: $.weights.1", OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    private static async Task<string> ModelWithTwoReadyVersionsAsync(HttpClient admin)
    {
        var model = RegistryClient.NewModelName("rollback");
        await admin.UploadReadyAsync(model, OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), "v1"));
        await admin.UploadReadyAsync(model, OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), "v2"));
        return model;
    }
}
