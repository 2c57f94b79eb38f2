using AiFactory.Evaluation.Labelled;
using AiFactory.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Tests.Evaluation;

/// <summary>
/// FP32 expectations are FP32 values: "0.1" written in an FP32 tensor is the float nearest 0.1, so a model whose
/// outputs are exactly what the set expects scores exactly (max abs error 0, every sample matching), not the
/// distance between the float and the double 0.1.
/// </summary>
public sealed class LabelledSetPrecisionTests
{
    private const string Input = """{ "name": "in_fp32", "datatype": "FP32", "shape": [1, 3], "data": [0.1, 0.7, 1e-7] }""";

    [Theory]
    [InlineData("max_abs_error")]
    [InlineData("exact_match")]
    public void Expected_FP32_values_equal_to_the_models_own_outputs_score_exactly(string metric)
    {
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32"));
        var set = LabelledSetTests.Parse($$"""
            { "metric": "{{metric}}", "output": "out_fp32", "samples": [
              { "inputs": [{{Input}}], "expected": { "datatype": "FP32", "shape": [1, 3], "data": [0.1, 0.7, 1e-7] } } ] }
            """);

        var report = LabelledSetEvaluator.Evaluate(session, set);

        Assert.Equal(metric == "max_abs_error" ? 0.0 : 1.0, report.Score);
    }

    [Fact]
    public void Expected_FP64_values_are_compared_at_double_precision()
    {
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32"));
        var set = LabelledSetTests.Parse($$"""
            { "metric": "max_abs_error", "output": "out_fp32", "samples": [
              { "inputs": [{{Input}}], "expected": { "datatype": "FP64", "shape": [1, 3], "data": [0.1, 0.7, 1e-7] } } ] }
            """);

        var report = LabelledSetEvaluator.Evaluate(session, set);

        // The float nearest 0.7 is 0.699999988079071: the largest of the three distances.
        Assert.Equal(Math.Abs((double)0.7f - 0.7), report.Score, 15);
    }
}
