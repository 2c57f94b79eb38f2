using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AiFactory.Optimization.Transforms;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Registry;

/// <summary>
/// <c>POST /api/admin/models/{model}/versions/{version}/optimize</c> against the real AppHost: an inference replica runs
/// the transform, the result becomes a version with lineage that validates and serves like any upload; and what is
/// refused, attacks included.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class VersionOptimizationTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static string OptimizePath(string model, int version) => $"/api/admin/models/{model}/versions/{version}/optimize";

    [Fact]
    public async Task The_classifier_optimized_with_graph_becomes_a_validating_version_with_lineage_that_validates_serves_and_is_audited()
    {
        using var bootstrap = fixture.CreateGatewayClient();
        var (operatorId, operatorKey) = await bootstrap.CreateKeyAsync("optimizing-operator", ["admin"]);
        using var admin = fixture.CreateGatewayClient(operatorKey);
        var model = RegistryClient.NewModelName("optimized");
        await admin.UploadReadyAsync(model, RegistryClient.SampleVariant("optimize parent"), RegistryClient.SampleConfig);
        await admin.SetTrafficAsync(model, """{"1": 100}""", "the parent serves");

        using var response = await admin.PostAsJsonAsync(OptimizePath(model, 1), new JsonObject { ["transform"] = "graph", ["level"] = "extended" }).WaitAsync(Timeout);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {body}");
        Assert.Equal($"/api/admin/models/{model}/versions/2", response.Headers.Location?.OriginalString);
        var created = JsonNode.Parse(body)!;
        Assert.Equal((2, "validating"), (created["version"]!.GetValue<int>(), created["state"]!.GetValue<string>()));
        var lineage = created["lineage"]!;
        Assert.Equal(1, lineage["parent"]!.GetValue<int>());
        var transform = lineage["transform"]!;
        Assert.Equal(("graph", """{"level":"extended"}""", "none"),
            (transform["name"]!.GetValue<string>(), transform["options"]!.ToJsonString(), transform["calibration"]!.GetValue<string>()));
        Assert.True(transform["details"]!["nodes_after"]!.GetValue<int>() <= transform["details"]!["nodes_before"]!.GetValue<int>(), transform.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(RegistryClient.SampleConfig), created["config"]), "a transform keeps the parent's config");

        var validated = await admin.WaitForValidationAsync(model, 2);
        Assert.True(validated["state"]!.GetValue<string>() == "ready", validated.ToJsonString());
        var drift = validated["validation"]!["drift"]!;
        Assert.Equal(1, drift["reference_version"]!.GetValue<int>());
        Assert.True(drift["max_abs_diff"]!.GetValue<double>() < 1e-4 && drift["argmax_agreement"]!.GetValue<double>() == 1, drift.ToJsonString());
        Assert.True(JsonNode.DeepEquals(lineage, validated["lineage"]), "the lineage is recorded with the version");

        var audited = Assert.Single(await bootstrap.AuditAsync($"model={model}&action=model.version.derive"));
        Assert.Equal((operatorId, 2, 1, "graph"), (audited["key_id"]!.GetValue<string>(), audited["version"]!.GetValue<int>(),
            audited["after"]!["parent"]!.GetValue<int>(), audited["after"]!["transform"]!["name"]!.GetValue<string>()));

        // Both serve side by side, and the optimized one answers as its parent does.
        await admin.SetTrafficAsync(model, """{"1": 50, "2": 50}""", "the optimized version serves");
        using var deadline = new CancellationTokenSource(Timeout);
        await fixture.WaitUntilObservedAsync(model, new Dictionary<int, int> { [1] = 50, [2] = 50 }, deadline.Token);
        var image = SampleModels.RandomImage(seed: 11, 2, 3, 48, 192);
        var parent = await InferAsync(bootstrap, $"/v2/models/{model}/versions/1/infer", image);
        var optimized = await InferAsync(bootstrap, $"/v2/models/{model}/versions/2/infer", image);
        OipRequests.AssertClose(parent, optimized, 1e-4f);
    }

    [Fact]
    public async Task Tensorrt_is_a_serving_configuration_on_the_parents_bytes_refused_with_a_422_where_no_replica_can_use_it()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("tensorrt");
        var parent = await admin.UploadReadyAsync(model, RegistryClient.SampleVariant("tensorrt parent"), RegistryClient.SampleConfig);
        var providers = new List<string>();
        foreach (var replica in fixture.InferenceReplicaEndpoints())
        {
            using var http = new HttpClient { BaseAddress = replica };
            var status = JsonNode.Parse(await http.GetStringAsync("/internal/status").WaitAsync(Timeout))!;
            providers.AddRange(status["providers"]!.AsArray().Select(provider => provider!.GetValue<string>()));
        }

        using var response = await admin.PostAsync(OptimizePath(model, 1), Json("""{"transform": "tensorrt", "precision": "fp16"}""")).WaitAsync(Timeout);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Contains("CPUExecutionProvider", providers);
        if (!providers.Contains("TensorrtExecutionProvider"))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.StartsWith("no inference replica can use the TensorRT execution provider (it needs an NVIDIA GPU with TensorRT's libraries): ",
                OipRequests.ErrorOf(body).GetString());
            Assert.Single((await admin.ModelAsync(model))["versions"]!.AsArray());
            return;
        }

        // A machine with TensorRT: the same bytes, another config.
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var created = JsonNode.Parse(body)!;
        Assert.Equal((parent["sha256"]!.GetValue<string>(), "tensorrt", true), (created["sha256"]!.GetValue<string>(),
            created["config"]!["execution_provider"]!.GetValue<string>(), created["config"]!["tensorrt"]!["fp16"]!.GetValue<bool>()));
        Assert.Equal(("tensorrt", 1), (created["lineage"]!["transform"]!["name"]!.GetValue<string>(), created["lineage"]!["parent"]!.GetValue<int>()));
    }

    [Fact]
    public async Task An_unknown_transform_is_a_400_naming_the_transforms_there_are()
    {
        using var admin = fixture.CreateGatewayClient();
        await RegistrySeedTests.WaitForSeedAsync(admin, SampleModels.TextDirection);

        var (status, error) = await OptimizeAsync(admin, SampleModels.TextDirection, 1, """{"transform": "turbo"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"unknown transform 'turbo': one of {string.Join(", ", TransformRequest.Names)}", error);
        Assert.Contains("graph", TransformRequest.Names);
        Assert.Contains("tensorrt", TransformRequest.Names);
    }

    [Fact]
    public async Task An_unknown_field_or_another_transforms_option_is_a_400_naming_it()
    {
        using var admin = fixture.CreateGatewayClient();
        await RegistrySeedTests.WaitForSeedAsync(admin, SampleModels.TextDirection);

        var unknown = await OptimizeAsync(admin, SampleModels.TextDirection, 1, """{"transform": "graph", "speed": "max"}""");
        var foreign = await OptimizeAsync(admin, SampleModels.TextDirection, 1, """{"transform": "graph", "precision": "int8"}""");

        Assert.Equal((HttpStatusCode.BadRequest, "unknown field 'speed': a request has 'transform' and the options 'level', 'keep_fp32', 'calibration', 'percentile', 'precision'"), unknown);
        Assert.Equal((HttpStatusCode.BadRequest, "'precision' is an option of transform 'tensorrt', not of 'graph'"), foreign);
    }

    [Fact]
    public async Task A_transform_that_does_not_apply_is_a_422_with_the_replicas_reason_and_adds_no_version()
    {
        // The graph transform refuses a level it does not have: its reason, as the replica gave it. (With the INT8
        // transforms merged, int8-static on a model without calibration data is refused the same way.)
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("inapplicable");
        await admin.UploadReadyAsync(model, RegistryClient.SampleVariant("inapplicable"), RegistryClient.SampleConfig);

        var (status, error) = await OptimizeAsync(admin, model, 1, """{"transform": "graph", "level": "maximum"}""");

        Assert.Equal((HttpStatusCode.UnprocessableEntity, "unknown graph optimization level 'maximum': basic, extended or all"), (status, error));
        Assert.Single((await admin.ModelAsync(model))["versions"]!.AsArray());
    }

    [Fact]
    public async Task A_parent_that_is_not_ready_is_a_409_and_an_unknown_one_a_404()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("unready");
        await admin.UploadAsync(model, Encoding.UTF8.GetBytes("not an onnx model at all"));
        Assert.Equal("invalid", (await admin.WaitForValidationAsync(model, 1))["state"]!.GetValue<string>());

        var invalid = await OptimizeAsync(admin, model, 1, """{"transform": "graph"}""");
        var missingVersion = await OptimizeAsync(admin, model, 7, """{"transform": "graph"}""");
        var missingModel = await OptimizeAsync(admin, RegistryClient.NewModelName("nowhere"), 1, """{"transform": "graph"}""");

        Assert.Equal((HttpStatusCode.Conflict, $"version 1 of model '{model}' is invalid: only a ready version can be optimized or reconfigured"), invalid);
        Assert.Equal((HttpStatusCode.NotFound, $"model '{model}' has no version 7"), missingVersion);
        Assert.Equal(HttpStatusCode.NotFound, missingModel.Status);
        Assert.Single((await admin.ModelAsync(model))["versions"]!.AsArray());
    }

    [Fact]
    public async Task Attack_a_key_without_the_admin_scope_cannot_optimize()
    {
        using var admin = fixture.CreateGatewayClient();
        await RegistrySeedTests.WaitForSeedAsync(admin, SampleModels.TextDirection);
        var (_, inferKey) = await admin.CreateKeyAsync("optimize-intruder", ["infer"]);
        using var intruder = fixture.CreateGatewayClient(inferKey);
        var before = (await admin.ModelAsync(SampleModels.TextDirection))["versions"]!.AsArray().Count;

        using var response = await intruder.PostAsync(OptimizePath(SampleModels.TextDirection, 1), Json("""{"transform": "graph"}""")).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, (await admin.ModelAsync(SampleModels.TextDirection))["versions"]!.AsArray().Count);
    }

    [Fact]
    public async Task Attack_an_oversized_body_sent_without_a_length_is_a_413_counted_on_the_bytes_received()
    {
        using var admin = fixture.CreateGatewayClient();
        await RegistrySeedTests.WaitForSeedAsync(admin, SampleModels.TextDirection);
        // A valid start, then 64 KiB of padding inside a string, chunked: no Content-Length to refuse it by.
        var body = Encoding.UTF8.GetBytes("{\"transform\": \"graph\", \"level\": \"" + new string('a', 64 * 1024) + "\"}");
        using var request = new HttpRequestMessage(HttpMethod.Post, OptimizePath(SampleModels.TextDirection, 1)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;

        using var response = await admin.SendAsync(request).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal($"the request body is larger than {TransformRequest.MaxBodyBytes} bytes: send the transform's name and options",
            OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task Attack_a_model_name_that_is_a_path_is_a_400_before_any_work()
    {
        using var admin = fixture.CreateGatewayClient();

        var (status, _) = await OptimizeAsync(admin, "..%2F..%2Fetc", 1, """{"transform": "graph"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    private static async Task<(HttpStatusCode Status, string? Error)> OptimizeAsync(HttpClient admin, string model, int version, string json)
    {
        using var response = await admin.PostAsync(OptimizePath(model, version), Json(json)).WaitAsync(Timeout);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? body : OipRequests.ErrorOf(body).GetString());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<float[]> InferAsync(HttpClient client, string path, float[] image)
    {
        using var response = await client.PostAsync(path, OipRequests.BinaryFp32(SampleModels.TextDirectionInput, [2, 3, 48, 192], image)).WaitAsync(Timeout);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var (json, binary) = await OipRequests.ReadAsync(response);
        return OipRequests.Floats(json, binary, SampleModels.TextDirectionOutput);
    }
}
