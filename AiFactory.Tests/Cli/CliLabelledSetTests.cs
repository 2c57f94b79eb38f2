using AiFactory.Cli;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Cli;

/// <summary><c>aifactory models push --labelled-set</c> against the real AppHost: the set travels with the model and its scores come back in the summary.</summary>
[Collection(AppHostCollection.Name)]
public sealed class CliLabelledSetTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_push_with_a_labelled_set_shows_its_score_in_the_validation_summary()
    {
        var model = RegistryClient.NewModelName("cli-labelled");
        using var onnx = IdentityModel();
        // Rows whose best classes are 1 and 0; the labels say 1 and 1: one of two right.
        using var set = new TemporaryFile("""
            { "metric": "argmax_accuracy", "output": "out_fp32", "samples": [
              { "inputs": [{ "name": "in_fp32", "datatype": "FP32", "shape": [2, 2], "data": [[0.2, 0.8], [0.9, 0.1]] }],
                "expected": { "datatype": "INT64", "shape": [2], "data": [1, 1] } } ] }
            """u8.ToArray(), ".json");

        var run = await fixture.RunCliAsync("models", "push", onnx.Path, "--model", model, "--labelled-set", set.Path, "--timeout", "5m");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("  labelled   argmax_accuracy of 'out_fp32' on 1 samples: 0.5\n", run.Out.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_malformed_labelled_set_is_refused_before_the_model_is_kept_with_the_readers_message()
    {
        var model = RegistryClient.NewModelName("cli-malformed");
        using var onnx = IdentityModel();
        using var set = new TemporaryFile("""
            { "metric": "exact_match", "output": "out_fp32", "samples": [
              { "inputs": [{ "name": "in_fp32", "datatype": "FP16", "shape": [1], "data": [1] }], "expected": { "datatype": "FP32", "shape": [1], "data": [1] } } ] }
            """u8.ToArray(), ".json");

        var run = await fixture.RunCliAsync("models", "push", onnx.Path, "--model", model, "--labelled-set", set.Path);

        Assert.True(run.ExitCode == ExitCodes.Refused, run.ToString());
        Assert.Contains("'labelled_set': $.samples[0].inputs[0].datatype: 'FP16' is not supported (BOOL, UINT8, INT8, INT16, INT32, INT64, FP32, FP64) (HTTP 400 Bad Request)", run.Error);
    }

    private static TemporaryFile IdentityModel() =>
        new(OnnxModelWriter.WithDocString(OnnxModelWriter.Identity("FP32"), $"cli {Guid.NewGuid()}"), ".onnx");
}
