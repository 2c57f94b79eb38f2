using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Registry;

/// <summary>
/// Uploads that must never serve are refused by validation, each with a reason naming the problem (state
/// <c>invalid</c>); a changed signature is ready but takes traffic only when forced with a reason, which is audited.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class InvalidUploadTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Random_bytes_are_invalid_as_not_an_onnx_model()
    {
        var bytes = new byte[256 * 1024];
        new Random(7).NextBytes(bytes);

        var version = await UploadAndValidateAsync(RegistryClient.NewModelName("random"), bytes);

        Assert.Equal("invalid", version["state"]!.GetValue<string>());
        Assert.StartsWith("not an ONNX model: ", version["state_reason"]!.GetValue<string>());
        Assert.False(version["validation"]!["load"]!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_sample_model_cut_in_half_is_invalid_as_truncated()
    {
        var whole = File.ReadAllBytes(RepositoryPaths.Model(SampleModels.TextDirection));

        var version = await UploadAndValidateAsync(RegistryClient.NewModelName("truncated"), whole[..(whole.Length / 2)]);

        Assert.Equal("invalid", version["state"]!.GetValue<string>());
        Assert.StartsWith("the file is truncated: field 'graph' at byte ", version["state_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_model_whose_outputs_are_nan_is_invalid_naming_the_output_and_the_count()
    {
        // log(-exp(x)) is NaN for every x; the smoke run is 8 samples of shape [1, 32].
        var version = await UploadAndValidateAsync(RegistryClient.NewModelName("nan"), OnnxModelWriter.Chain("x", "y", "FP32", "Exp", "Neg", "Log"));

        Assert.Equal("invalid", version["state"]!.GetValue<string>());
        Assert.Equal("output 'y' has 256 NaN values on the smoke inputs", version["state_reason"]!.GetValue<string>());
        Assert.Equal("""{"ok":false,"samples":8,"non_finite_outputs":256}""", version["validation"]!["smoke"]!.ToJsonString());
    }

    [Fact]
    public async Task A_config_the_inference_service_cannot_use_is_invalid_naming_the_field()
    {
        var version = await UploadAndValidateAsync(RegistryClient.NewModelName("bad-config"), OnnxModelWriter.Chain("x", "y", "FP32", "Identity"),
            """{"max_batch_size": -1}""");

        Assert.Equal("invalid", version["state"]!.GetValue<string>());
        Assert.Equal("config: 'max_batch_size' must be 0 or more, not -1", version["state_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_changed_signature_is_ready_but_takes_traffic_only_when_forced_with_a_reason_and_that_is_audited()
    {
        using var admin = fixture.CreateGatewayClient();
        var (keyId, key) = await admin.CreateKeyAsync("signature-change", ["admin"]);
        using var operatorClient = fixture.CreateGatewayClient(key);
        var model = RegistryClient.NewModelName("signature");
        await operatorClient.UploadReadyAsync(model, OnnxModelWriter.Chain("x", "y", "FP32", "Identity"));
        await operatorClient.SetTrafficAsync(model, """{"1": 100}""", "version 1 serves");

        var changed = await operatorClient.UploadReadyAsync(model, OnnxModelWriter.Chain("x", "y", "FP16", "Identity"));
        using var refused = await operatorClient.PutTrafficAsync(model, new JsonObject { ["weights"] = JsonNode.Parse("""{"1": 50, "2": 50}"""), ["reason"] = "try it" });
        var forced = await operatorClient.SetTrafficAsync(model, """{"1": 50, "2": 50}""", "the clients send FP16 now", force: true);

        var signature = changed["validation"]!["signature"]!;
        Assert.Equal((1, false), (signature["compatible_with"]!.GetValue<int>(), signature["compatible"]!.GetValue<bool>()));
        Assert.Equal(["input 'x' changed datatype from FP32 to FP16", "output 'y' changed datatype from FP32 to FP16"],
            signature["changes"]!.AsArray().Select(change => change!.GetValue<string>()));
        Assert.StartsWith("its signature is not compatible with version 1: input 'x' changed datatype from FP32 to FP16", changed["state_reason"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("version 2's signature is not compatible with version 1: input 'x' changed datatype from FP32 to FP16; output 'y' changed datatype "
                     + "from FP32 to FP16. To give it traffic anyway, send \"force\": true with a reason",
            OipRequests.ErrorOf(await refused.Content.ReadAsStringAsync()).GetString());
        Assert.Equal("""{"1":50,"2":50}""", forced["desired"]!.ToJsonString());
        var audited = Assert.Single(await admin.AuditAsync($"model={model}&action=traffic.forced"));
        Assert.Equal((keyId, 2, "the clients send FP16 now"), (audited["key_id"]!.GetValue<string>(), audited["version"]!.GetValue<int>(), audited["reason"]!.GetValue<string>()));
    }

    private async Task<JsonNode> UploadAndValidateAsync(string model, byte[] bytes, string? config = null)
    {
        using var admin = fixture.CreateGatewayClient();
        var uploaded = await admin.UploadAsync(model, bytes, config);
        return await admin.WaitForValidationAsync(model, uploaded["version"]!.GetValue<int>());
    }
}
