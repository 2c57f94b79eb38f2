extern alias gateway;

using System.Text.Json;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Validation;
using gateway::AiFactory.Gateway.Registry;

namespace AiFactory.Tests.Registry;

/// <summary>The validation request the gateway writes is the one inference reads (registry contract, "Validation").</summary>
public sealed class ValidationContractTests
{
    // As inference's HTTP JSON options hold the context: web defaults (camelCase), the context in the resolver chain.
    private static readonly JsonSerializerOptions HttpOptions = CreateHttpOptions();

    [Fact]
    public void The_gateways_request_binds_to_inferences_request_field_for_field()
    {
        var candidate = Version(2, """{"max_batch_size": 8}""");
        var json = ValidationClient.Request(new ValidationClaim(candidate, Version(1, "{}"))).ToJsonString();

        var request = JsonSerializer.Deserialize<ValidationRequest>(json, HttpOptions)!;

        Assert.Equal(("m", 2L, ValidationClient.Seed), (request.Model, request.Version, request.Seed));
        Assert.Equal((2L, "models/m/" + new string('a', 64) + ".onnx", new string('a', 64), 1234L),
            (request.Candidate!.Version, request.Candidate.StorageKey, request.Candidate.Sha256, request.Candidate.SizeBytes));
        Assert.Equal(8, request.Candidate.Config!.Value.GetProperty("max_batch_size").GetInt32());
        Assert.Equal(1L, request.Reference!.Version);
    }

    [Fact]
    public void The_candidates_labelled_set_travels_with_the_request_and_binds_to_inferences_reference()
    {
        var sha = new string('b', 64);
        var candidate = Version(2, "{}") with
        {
            LabelledSet = $$"""{"storage_key":"labelled-sets/m/{{sha}}.json","sha256":"{{sha}}","size_bytes":99,"metric":"argmax_accuracy","output":"y","samples":3}""",
        };

        var request = JsonSerializer.Deserialize<ValidationRequest>(ValidationClient.Request(new ValidationClaim(candidate, null)).ToJsonString(), HttpOptions)!;
        var none = JsonSerializer.Deserialize<ValidationRequest>(ValidationClient.Request(new ValidationClaim(Version(3, "{}"), null)).ToJsonString(), HttpOptions)!;

        Assert.Equal(($"labelled-sets/m/{sha}.json", sha, 99L), (request.LabelledSet!.StorageKey, request.LabelledSet.Sha256, request.LabelledSet.SizeBytes));
        Assert.Null(none.LabelledSet);
    }

    [Fact]
    public void A_passed_report_with_an_incompatible_signature_makes_the_version_ready_with_the_changes_as_its_reason()
    {
        TensorSpec[] inputs = [new("x", "FP16", [-1, 4])];
        var report = new ValidationReport(true, ["input 'x' changed datatype from FP32 to FP16"], new LoadCheck(true, "CPUExecutionProvider", 17, "tests", 5),
            new SignatureCheck(inputs, [new TensorSpec("y", "FP16", [-1, 4])], 1, false, ["input 'x' changed datatype from FP32 to FP16"]),
            new SmokeCheck(true, 8, 0), null, null, new ConfigCheck(true, null));

        var outcome = ValidationClient.Outcome(JsonSerializer.Serialize(report, HttpOptions));

        Assert.Equal(("ready", 17, "tests"), (outcome.State, outcome.Opset, outcome.Producer));
        Assert.Equal("its signature is not compatible with version 1: input 'x' changed datatype from FP32 to FP16; traffic needs \"force\" and a reason", outcome.Reason);
        Assert.Equal("""{"inputs":[{"name":"x","datatype":"FP16","shape":[-1,4]}],"outputs":[{"name":"y","datatype":"FP16","shape":[-1,4]}]}""", outcome.Signature);
    }

    [Fact]
    public void A_failed_report_makes_the_version_invalid_with_the_first_problem_as_its_reason()
    {
        var report = new ValidationReport(false, ["not an ONNX model: it has no ir_version"], new LoadCheck(false, null, null, null, null), null, null, null, null,
            new ConfigCheck(true, null));

        var outcome = ValidationClient.Outcome(JsonSerializer.Serialize(report, HttpOptions));

        Assert.Equal(("invalid", "not an ONNX model: it has no ir_version", null), (outcome.State, outcome.Reason, outcome.Signature));
    }

    private static JsonSerializerOptions CreateHttpOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.TypeInfoResolverChain.Insert(0, ValidationJsonContext.Default);
        return options;
    }

    private static VersionRecord Version(int version, string config) =>
        new("m", version, new string('a', 64), 1234, "models/m/" + new string('a', 64) + ".onnx", config, null, null, null, null, null, "validating", "",
            DateTimeOffset.UnixEpoch, "k", null);
}
