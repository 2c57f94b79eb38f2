using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Registry;

/// <summary>Uploading model versions through the gateway, against the real AppHost and its object store, and what validation reports.</summary>
[Collection(AppHostCollection.Name)]
public sealed class VersionUploadTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_second_version_of_a_sample_model_is_validated_against_the_first_and_its_report_says_so()
    {
        using var admin = fixture.CreateGatewayClient();
        await RegistrySeedTests.WaitForSeedAsync(admin, SampleModels.TextDirection);
        var bytes = RegistryClient.SampleVariant("second version");

        var uploaded = await admin.UploadAsync(SampleModels.TextDirection, bytes, RegistryClient.SampleConfig);
        var version = await admin.WaitForValidationAsync(SampleModels.TextDirection, uploaded["version"]!.GetValue<int>());

        Assert.Equal("validating", uploaded["state"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), uploaded["sha256"]!.GetValue<string>());
        Assert.Equal(bytes.Length, uploaded["size_bytes"]!.GetValue<long>());
        Assert.True(version["state"]!.GetValue<string>() == "ready", version.ToJsonString());
        Assert.Equal("", version["state_reason"]!.GetValue<string>());
        Assert.Equal(9, version["opset"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(RegistryClient.SampleConfig), version["config"]), version["config"]!.ToJsonString());
        var report = version["validation"]!;
        Assert.True(report["passed"]!.GetValue<bool>());
        Assert.Empty(report["problems"]!.AsArray());
        Assert.Equal((true, "CPUExecutionProvider", 9), (report["load"]!["ok"]!.GetValue<bool>(), report["load"]!["provider"]!.GetValue<string>(),
            report["load"]!["opset"]!.GetValue<int>()));
        var signature = report["signature"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"x","datatype":"FP32","shape":[-1,3,-1,-1]}]"""), signature["inputs"]), signature.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"name":"softmax_0.tmp_0","datatype":"FP32","shape":[-1,2]}]"""), signature["outputs"]), signature.ToJsonString());
        Assert.Equal((1, true, 0), (signature["compatible_with"]!.GetValue<int>(), signature["compatible"]!.GetValue<bool>(), signature["changes"]!.AsArray().Count));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ok":true,"samples":8,"non_finite_outputs":0}"""), report["smoke"]), report["smoke"]!.ToJsonString());
        // The same graph as version 1: on the same seeded inputs it answers exactly the same.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"reference_version":1,"samples":8,"max_abs_diff":0,"relative_l2":0,"argmax_agreement":1}"""),
            report["drift"]), report["drift"]!.ToJsonString());
        var profile = report["latency"]!["profile"]!.AsArray();
        // The config's max_batch_size is 64 and warmup [1, 8]: 1, the powers of two up to 64.
        Assert.Equal([1, 2, 4, 8, 16, 32, 64], profile.Select(point => point!["batch_size"]!.GetValue<int>()));
        Assert.All(profile, point => Assert.True(point!["p50_ms"]!.GetValue<double>() > 0 && point["p95_ms"]!.GetValue<double>() >= point["p50_ms"]!.GetValue<double>()
                                                 && point["items_per_second"]!.GetValue<double>() > 0, point!.ToJsonString()));
        Assert.Contains(report["latency"]!["recommended_max_batch_size"]!.GetValue<int>(), new[] { 1, 2, 4, 8, 16, 32, 64 });
        Assert.Equal("""{"ok":true,"error":null}""", report["config"]!.ToJsonString());
    }

    [Fact]
    public async Task Concurrent_uploads_to_one_model_get_distinct_version_numbers()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("concurrent");

        var uploads = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            admin.UploadAsync(model, OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), $"upload {i}"))));

        Assert.Equal([1, 2, 3, 4, 5], uploads.Select(upload => upload["version"]!.GetValue<int>()).Order());
    }

    [Fact]
    public async Task The_same_bytes_again_are_a_409_naming_the_version_that_has_them()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("twice");
        var bytes = OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), "twice");
        await admin.UploadAsync(model, bytes);

        using var again = await admin.PostVersionAsync(model, bytes);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal($"model '{model}' already has these bytes: identical to version 1", OipRequests.ErrorOf(await again.Content.ReadAsStringAsync()).GetString());
        Assert.Single((await admin.ModelAsync(model))["versions"]!.AsArray());
    }

    [Fact]
    public async Task A_multipart_upload_carries_the_model_and_its_config_in_either_order()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("multipart");
        const string config = """{"max_batch_size":4,"warmup":[1]}""";
        using var form = new MultipartFormDataContent
        {
            { new StringContent(config), "config" },
            { new ByteArrayContent(OnnxModelWriter.Chain("x", "y", "FP32", "Identity")), "model", "model.onnx" },
        };

        using var response = await admin.PostAsync(RegistryClient.VersionsPath(model), form);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var version = await admin.WaitForValidationAsync(model, 1);
        // PostgreSQL's jsonb keeps the fields, not their order.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(config), version["config"]), version["config"]!.ToJsonString());
        Assert.Equal("ready", version["state"]!.GetValue<string>());
        // Batched with max_batch_size 4: the profile covers 1, 2 and 4.
        Assert.Equal([1, 2, 4], version["validation"]!["latency"]!["profile"]!.AsArray().Select(point => point!["batch_size"]!.GetValue<int>()));
    }

    [Fact]
    public async Task An_upload_while_the_object_store_cannot_be_reached_is_a_503_and_adds_no_version()
    {
        // A second gateway on the same database whose object store is a port nothing listens on.
        await using var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?>
        {
            ["ConnectionStrings:storage"] = $"Endpoint=http://127.0.0.1:{S3rverProcess.FreePort()};AccessKey=S3RVER;SecretKey=S3RVER;Bucket=aifactory;"
                                            + "ChunkedUploads=false;ServerSideCopy=false",
            ["Storage:MaxErrorRetries"] = "0",
        });
        using var client = gateway.CreateClient(fixture.AdminKey);
        var model = RegistryClient.NewModelName("no-store");

        using var response = await client.PostVersionAsync(model, OnnxModelWriter.Chain("x", "y", "FP32", "Identity"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.StartsWith("the object store is unavailable: the object store at http://127.0.0.1:", OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        using var admin = fixture.CreateGatewayClient();
        using var missing = await admin.GetAsync($"/api/admin/models/{model}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_version_and_a_model_the_registry_does_not_have_are_404s()
    {
        using var admin = fixture.CreateGatewayClient();

        using var model = await admin.GetAsync($"/api/admin/models/{RegistryClient.NewModelName("absent")}");
        using var version = await admin.GetAsync($"/api/admin/models/{SampleModels.TextDirection}/versions/999999");

        Assert.Equal(HttpStatusCode.NotFound, model.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, version.StatusCode);
        Assert.Equal($"the registry has no version 999999 of model '{SampleModels.TextDirection}'", OipRequests.ErrorOf(await version.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task An_unsupported_content_type_is_a_415()
    {
        using var admin = fixture.CreateGatewayClient();
        using var content = new StringContent("{}", new MediaTypeHeaderValue("application/json"));

        using var response = await admin.PostAsync(RegistryClient.VersionsPath(RegistryClient.NewModelName("json")), content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("send the model as application/octet-stream, or as multipart/form-data with the parts 'model' and 'config'",
            OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }
}
