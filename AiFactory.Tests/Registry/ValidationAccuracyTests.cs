extern alias gateway;

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AiFactory.Evaluation.Labelled;
using AiFactory.Tests.Infrastructure;
using Xunit.Abstractions;
using RegistryStore = gateway::AiFactory.Gateway.Registry.RegistryStore;

namespace AiFactory.Tests.Registry;

/// <summary>
/// Accuracy in the validation report, against the real AppHost: the OCR sample models' task metrics beside the
/// version taking traffic, and a version's own labelled set (uploaded with it, refused at upload when malformed,
/// inherited by a version derived from it) scored on the candidate and the reference.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ValidationAccuracyTests(AppHostFixture fixture, ITestOutputHelper output)
{
    private const string ValidationSet = "OCR evaluation set (seed 12, 40 lines, 4 pages)";

    /// <summary>The identity model's input, 2 rows of 3: its output is the same, so its own outputs are these values.</summary>
    private const string Rows = """{ "name": "in_fp32", "datatype": "FP32", "shape": [2, 3], "data": [[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]] }""";

    /// <summary>Expected outputs equal to the model's own: max abs error 0.</summary>
    private const string OwnOutputs = $$"""
        { "metric": "max_abs_error", "output": "out_fp32", "samples": [
          { "inputs": [{{Rows}}], "expected": { "datatype": "FP32", "shape": [2, 3], "data": [0.1, 0.7, 0.2, 0.9, 0.05, 0.05] } },
          { "inputs": [{ "name": "in_fp32", "datatype": "FP32", "shape": [1, 2], "data": [5, -5] }], "expected": { "datatype": "FP32", "shape": [1, 2], "data": [5, -5] } } ] }
        """;

    /// <summary>Four rows whose best classes are 1, 0, 2, 0; the last label says 1: three of four right.</summary>
    private const string OneWrongLabel = """
        { "metric": "argmax_accuracy", "output": "out_fp32", "samples": [
          { "inputs": [{ "name": "in_fp32", "datatype": "FP32", "shape": [2, 3], "data": [[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]] }],
            "expected": { "datatype": "INT64", "shape": [2], "data": [1, 0] } },
          { "inputs": [{ "name": "in_fp32", "datatype": "FP32", "shape": [2, 3], "data": [[0, 0, 3], [4, 1, 1]] }],
            "expected": { "datatype": "INT32", "shape": [2], "data": [2, 1] } } ] }
        """;

    [Fact]
    public async Task The_classifiers_report_carries_task_metrics_for_candidate_and_reference_on_the_evaluation_set()
    {
        using var admin = fixture.CreateGatewayClient();
        await RegistrySeedTests.WaitForSeedAsync(admin, SampleModels.TextDirection);

        var uploaded = await admin.UploadAsync(SampleModels.TextDirection, RegistryClient.SampleVariant("task metrics"), RegistryClient.SampleConfig);
        var version = await admin.WaitForValidationAsync(SampleModels.TextDirection, uploaded["version"]!.GetValue<int>());

        var task = version["validation"]!["task"]!;
        Assert.True(task["skipped"] is null, task.ToJsonString());
        Assert.Equal((SampleModels.TextDirection, ValidationSet), (task["task"]!.GetValue<string>(), task["set"]!.GetValue<string>()));
        var candidate = task["candidate"]!.AsArray();
        Assert.Equal(["accuracy, both", "accuracy, upright lines", "accuracy, rotated 180°"], candidate.Select(metric => metric!["name"]!.GetValue<string>()));
        Assert.Equal([80, 40, 40], candidate.Select(metric => metric!["samples"]!.GetValue<int>()));
        // The floors SampleModelAccuracyTests holds the FP32 classifier to on the same 40 lines.
        Assert.All(candidate, metric => Assert.True(metric!["value"]!.GetValue<double>() >= 0.95, metric.ToJsonString()));
        // The same graph as the version taking traffic: the same figures, a difference of 0.
        Assert.Equal(1, task["reference_version"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(task["candidate"], task["reference"]), task.ToJsonString());
        var headline = task["headline"]!;
        Assert.Equal("accuracy, both", headline["name"]!.GetValue<string>());
        Assert.Equal(candidate[0]!["value"]!.GetValue<double>(), headline["candidate"]!.GetValue<double>());
        Assert.Equal(0, headline["difference"]!.GetValue<double>());
        output.WriteLine($"text-direction: task metrics of candidate and reference measured in {task["seconds"]} s");
    }

    [Theory]
    [InlineData(SampleModels.TextRecognition, "character accuracy (1 − CER)", 40, 0.95)]
    [InlineData(SampleModels.TextDetection, "box F1 at IoU 0.5", 4, 0.9)]
    public async Task A_seeded_recognizer_and_detector_are_measured_on_the_set_with_no_reference_to_compare_with(string model, string headline, int samples, double floor)
    {
        using var admin = fixture.CreateGatewayClient();
        await RegistrySeedTests.WaitForSeedAsync(admin, model);

        var version = await admin.WaitForValidationAsync(model, 1);

        var task = version["validation"]!["task"]!;
        Assert.True(task["skipped"] is null, task.ToJsonString());
        Assert.Equal(ValidationSet, task["set"]!.GetValue<string>());
        var first = task["candidate"]![0]!;
        Assert.Equal(headline, first["name"]!.GetValue<string>());
        Assert.True(first["samples"]!.GetValue<int>() >= samples, first.ToJsonString());
        Assert.True(first["value"]!.GetValue<double>() >= floor, first.ToJsonString());
        Assert.Null(task["reference"]);
        Assert.Null(task["headline"]!["difference"]);
        output.WriteLine($"{model}: task metrics measured in {task["seconds"]} s on one intra-op thread: {task["candidate"]!.ToJsonString()}");
    }

    [Fact]
    public async Task A_labelled_set_of_the_models_own_outputs_scores_perfectly_and_one_with_a_wrong_label_scores_three_in_four_on_candidate_and_reference()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("labelled");

        var first = await UploadWithSetAsync(admin, model, IdentityVariant("v1"), OwnOutputs);
        var second = await UploadWithSetAsync(admin, model, IdentityVariant("v2"), OneWrongLabel);

        var perfect = await ReadyAsync(admin, model, first);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""
            {"sha256":"{{Sha256(OwnOutputs)}}","metric":"max_abs_error","output":"out_fp32","samples":2,
             "candidate":{"score":0,"mean_abs_error":0,"error":null},"reference":null,"reference_version":null,"error":null}
            """), perfect["validation"]!["labelled_set"]), perfect["validation"]!["labelled_set"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""
            {"storage_key":"labelled-sets/{{model}}/{{Sha256(OwnOutputs)}}.json","sha256":"{{Sha256(OwnOutputs)}}","size_bytes":{{Encoding.UTF8.GetByteCount(OwnOutputs)}},
             "metric":"max_abs_error","output":"out_fp32","samples":2}
            """), perfect["labelled_set"]), perfect["labelled_set"]!.ToJsonString());
        // A model that is not an OCR sample has no task metrics.
        Assert.Null(perfect["validation"]!["task"]);

        var wrong = await ReadyAsync(admin, model, second);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""
            {"sha256":"{{Sha256(OneWrongLabel)}}","metric":"argmax_accuracy","output":"out_fp32","samples":2,
             "candidate":{"score":0.75,"mean_abs_error":null,"error":null},"reference":{"score":0.75,"mean_abs_error":null,"error":null},
             "reference_version":1,"error":null}
            """), wrong["validation"]!["labelled_set"]), wrong["validation"]!["labelled_set"]!.ToJsonString());
    }

    [Fact]
    public async Task A_version_derived_from_one_with_a_labelled_set_inherits_it_and_its_report_scores_it()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("derived-set");
        var parent = await ReadyAsync(admin, model, await UploadWithSetAsync(admin, model, IdentityVariant("parent"), OneWrongLabel));
        await using var tables = RegistryTables.Of(fixture);

        // As the optimize endpoint will: a serving configuration on the parent's bytes.
        var derived = await new RegistryStore(tables.Database).AddDerivedVersionAsync(new RegistryStore.DerivedVersion(model, 1,
            parent["sha256"]!.GetValue<string>(), parent["size_bytes"]!.GetValue<long>(), $"models/{model}/{parent["sha256"]}.onnx",
            """{"instance_count":1}""", """{"transform":"tests"}""", "tests"), CancellationToken.None);
        var version = await ReadyAsync(admin, model, derived.Version);

        Assert.Equal((2, 1), (version["version"]!.GetValue<int>(), version["lineage"]!["parent"]!.GetValue<int>()));
        Assert.True(JsonNode.DeepEquals(parent["labelled_set"], version["labelled_set"]), version["labelled_set"]?.ToJsonString());
        var scored = version["validation"]!["labelled_set"]!;
        Assert.Equal((Sha256(OneWrongLabel), 0.75, 0.75, 1), (scored["sha256"]!.GetValue<string>(), scored["candidate"]!["score"]!.GetValue<double>(),
            scored["reference"]!["score"]!.GetValue<double>(), scored["reference_version"]!.GetValue<int>()));
    }

    public static TheoryData<string, string, string> MalformedSets => new()
    {
        {
            "nested a hundred thousand arrays deep (a stack attack on the parser)",
            $$"""{ "metric": "exact_match", "output": "out_fp32", "samples": [ { "inputs": [ { "name": "in_fp32", "datatype": "FP32", "shape": [1], "data": {{new string('[', 100_000)}}1{{new string(']', 100_000)}} } ] } ] }""",
            // Past the reader's depth: Utf8JsonReader stops it, no recursion.
            "the labelled set is not valid JSON:"
        },
        {
            "a shape of 2^62 elements declared over one value (an allocation attack)",
            """{ "metric": "exact_match", "output": "out_fp32", "samples": [ { "inputs": [ { "name": "in_fp32", "datatype": "FP32", "shape": [2147483647, 2147483647], "data": [1] } ], "expected": { "datatype": "FP32", "shape": [1], "data": [1] } } ] }""",
            "$.samples[0].inputs[0]: shape [2147483647, 2147483647] does not hold the 1 values given"
        },
        {
            "a datatype labelled sets do not take",
            """{ "metric": "exact_match", "output": "out_fp32", "samples": [ { "inputs": [ { "name": "in_fp32", "datatype": "FP16", "shape": [1], "data": [1] } ], "expected": { "datatype": "FP32", "shape": [1], "data": [1] } } ] }""",
            "$.samples[0].inputs[0].datatype: 'FP16' is not supported (BOOL, UINT8, INT8, INT16, INT32, INT64, FP32, FP64)"
        },
        {
            "a value outside its datatype's range",
            """{ "metric": "argmax_accuracy", "output": "out_fp32", "samples": [ { "inputs": [ { "name": "in_fp32", "datatype": "FP32", "shape": [1, 2], "data": [1, 2] } ], "expected": { "datatype": "INT32", "shape": [1], "data": [4294967296] } } ] }""",
            "$.samples[0].expected.data: 4294967296 is not a INT32 value"
        },
    };

    [Theory]
    [MemberData(nameof(MalformedSets))]
    public async Task A_malformed_labelled_set_is_refused_at_upload_with_the_readers_message_and_adds_no_version(string attack, string set, string message)
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("malformed");
        var reader = Assert.ThrowsAny<LabelledSetException>(() => LabelledSetReader.Parse(Encoding.UTF8.GetBytes(set), new LabelledSetLimits()));

        using var response = await PostWithSetAsync(admin, model, IdentityVariant(attack), set);

        var error = OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString()!;
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{attack}: {(int)response.StatusCode} {error}");
        // The reader's own message (the whole of it; for the nesting, the JSON parser's words after the prefix).
        Assert.StartsWith($"'labelled_set': {message}", error);
        Assert.Equal($"'labelled_set': {reader.Message}", error);
        using var missing = await admin.GetAsync($"/api/admin/models/{model}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_labelled_set_over_the_limit_is_a_413_counted_on_the_bytes_received_and_adds_no_version()
    {
        // A second gateway on the same database and store, with a 4 KiB limit; the set is 1 MiB of valid-looking JSON.
        await using var gateway = await GatewayInstance.StartAsync(fixture, new Dictionary<string, string?> { ["Registry:MaxLabelledSetBytes"] = "4096" });
        using var client = gateway.CreateClient(fixture.AdminKey);
        var model = RegistryClient.NewModelName("oversized");
        var values = string.Join(", ", Enumerable.Repeat("0.5", 300_000));
        var set = $$"""{ "metric": "max_abs_error", "output": "out_fp32", "samples": [ { "inputs": [ { "name": "in_fp32", "datatype": "FP32", "shape": [1, 300000], "data": [{{values}}] } ], "expected": { "datatype": "FP32", "shape": [1, 300000], "data": [{{values}}] } } ] }""";

        using var response = await PostWithSetAsync(client, model, IdentityVariant("oversized"), set);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("'labelled_set': the labelled set is larger than the limit of 4096 bytes (Registry:MaxLabelledSetBytes)",
            OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        using var admin = fixture.CreateGatewayClient();
        using var missing = await admin.GetAsync($"/api/admin/models/{model}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static byte[] IdentityVariant(string note) => OnnxModelWriter.WithDocString(OnnxModelWriter.Identity("FP32"), $"{note} {Guid.NewGuid()}");

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>A multipart upload with the labelled set first, as the CLI sends it.</summary>
    private static async Task<HttpResponseMessage> PostWithSetAsync(HttpClient client, string model, byte[] onnx, string set)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(set, Encoding.UTF8, "application/json"), "labelled_set", "labelled-set.json" },
            { new ByteArrayContent(onnx), "model", "model.onnx" },
        };
        return await client.PostAsync(RegistryClient.VersionsPath(model), form).WaitAsync(TimeSpan.FromSeconds(60));
    }

    private static async Task<int> UploadWithSetAsync(HttpClient admin, string model, byte[] onnx, string set)
    {
        using var response = await PostWithSetAsync(admin, model, onnx, set);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"uploading {model} with a labelled set: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!["version"]!.GetValue<int>();
    }

    private static async Task<JsonNode> ReadyAsync(HttpClient admin, string model, int number)
    {
        var version = await admin.WaitForValidationAsync(model, number);
        Assert.True(version["state"]!.GetValue<string>() == "ready", version.ToJsonString());
        return version;
    }
}
