using System.Globalization;
using System.Text;
using AiFactory.Evaluation.Labelled;
using AiFactory.Evaluation.Ocr;
using AiFactory.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Tests.Evaluation;

/// <summary>A model's own labelled set: the format read, each metric scored on a real model, known misses included.</summary>
public sealed class LabelledSetTests
{
    private static readonly LabelledSetLimits Limits = new();

    public static LabelledSet Parse(string json, LabelledSetLimits? limits = null) =>
        LabelledSetReader.Parse(Encoding.UTF8.GetBytes(json), limits ?? Limits);

    private static string Tensor(string? name, string datatype, string shape, string data) =>
        $$"""{ {{(name is null ? "" : $"\"name\": \"{name}\", ")}}"datatype": "{{datatype}}", "shape": {{shape}}, "data": {{data}} }""";

    private static string Set(string metric, string output, params (string Inputs, string Expected)[] samples) =>
        $$"""{ "metric": "{{metric}}", "output": "{{output}}", "samples": [ {{string.Join(", ", samples.Select(s => $"{{ \"inputs\": [{s.Inputs}], \"expected\": {s.Expected} }}"))}} ] }""";

    [Fact]
    public void The_format_is_read_with_OIP_tensors_flat_or_nested()
    {
        var set = Parse(Set("argmax_accuracy", "out_fp32",
            (Tensor("in_fp32", "FP32", "[2, 2]", "[[0.1, 0.9], [0.8, 0.2]]"), Tensor("out_fp32", "INT64", "[2]", "[1, 0]"))));

        Assert.Equal((LabelledMetric.ArgmaxAccuracy, "out_fp32"), (set.Metric, set.Output));
        var input = Assert.Single(Assert.Single(set.Samples).Inputs);
        Assert.Equal(("in_fp32", "FP32"), (input.Name, input.Datatype));
        Assert.Equal([2L, 2L], input.Shape);
        Assert.Equal([0.1, 0.9, 0.8, 0.2], input.Floats!);
        Assert.Equal([1L, 0L], set.Samples[0].Expected.Integers!);
    }

    [Fact]
    public void Argmax_accuracy_counts_the_rows_whose_best_class_is_the_label()
    {
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32"));
        var input = Tensor("in_fp32", "FP32", "[2, 2]", "[0.1, 0.9, 0.8, 0.2]");

        var perfect = LabelledSetEvaluator.Evaluate(session, Parse(Set("argmax_accuracy", "out_fp32", (input, Tensor(null, "INT64", "[2]", "[1, 0]")))));
        var oneMiss = LabelledSetEvaluator.Evaluate(session, Parse(Set("argmax_accuracy", "out_fp32", (input, Tensor(null, "INT32", "[2]", "[1, 1]")))));

        Assert.Equal((1.0, 1), (perfect.Score, perfect.Samples));
        Assert.Equal(0.5, oneMiss.Score);
    }

    [Fact]
    public void Max_abs_error_is_the_largest_difference_and_its_mean_is_reported()
    {
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32"));
        var input = Tensor("in_fp32", "FP32", "[1, 4]", "[1, 2, 3, 4]");

        var exact = LabelledSetEvaluator.Evaluate(session, Parse(Set("max_abs_error", "out_fp32", (input, Tensor(null, "FP32", "[1, 4]", "[1, 2, 3, 4]")))));
        var off = LabelledSetEvaluator.Evaluate(session, Parse(Set("max_abs_error", "out_fp32", (input, Tensor(null, "FP64", "[1, 4]", "[1, 2, 3.25, 4]")))));

        Assert.Equal((0.0, 0.0), (exact.Score, exact.MeanAbsError));
        Assert.Equal(0.25, off.Score);
        Assert.Equal(0.0625, off.MeanAbsError);
    }

    [Fact]
    public void Exact_match_is_the_share_of_samples_whose_output_equals_the_expected_tensor()
    {
        using var session = new InferenceSession(OnnxModelWriter.Identity("INT64"));
        var set = Parse(Set("exact_match", "out_int64",
            (Tensor("in_int64", "INT64", "[1, 3]", "[7, 8, 9]"), Tensor(null, "INT64", "[1, 3]", "[7, 8, 9]")),
            (Tensor("in_int64", "INT64", "[1, 3]", "[7, 8, 9]"), Tensor(null, "INT64", "[1, 3]", "[7, 8, 10]"))));

        Assert.Equal(0.5, LabelledSetEvaluator.Evaluate(session, set).Score);
    }

    [Fact]
    public void The_direction_classifier_scores_1_on_a_set_labelled_with_its_own_evaluation_lines()
    {
        using var session = new InferenceSession(RepositoryPaths.Model(SampleModels.TextDirection));
        var ocr = OcrEvaluationSet.Generate(new OcrSetOptions { Lines = 1, Pages = 0 }, OcrEvaluationSetTests.Dictionary);
        var input = DirectionEvaluation.Inputs(ocr, batchSize: 2).Single(); // the line upright, then turned
        var data = string.Join(",", input.Data.Select(value => value.ToString("R", CultureInfo.InvariantCulture)));
        string Sample(string labels) => Set("argmax_accuracy", SampleModels.TextDirectionOutput,
            (Tensor("x", "FP32", $"[{string.Join(",", input.Shape)}]", $"[{data}]"), Tensor(null, "INT64", "[2]", labels)));

        Assert.Equal(1.0, LabelledSetEvaluator.Evaluate(session, Parse(Sample("[0, 1]"))).Score);
        Assert.Equal(0.5, LabelledSetEvaluator.Evaluate(session, Parse(Sample("[0, 0]"))).Score);
    }

    [Fact]
    public void A_set_for_an_output_the_model_lacks_is_refused_naming_the_outputs_it_has()
    {
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32"));
        var set = Parse(Set("exact_match", "logits", (Tensor("in_fp32", "FP32", "[1, 1]", "[1]"), Tensor(null, "FP32", "[1, 1]", "[1]"))));

        var error = Assert.Throws<LabelledSetException>(() => LabelledSetEvaluator.Evaluate(session, set));
        Assert.Equal("$.output: the model has no output 'logits' (it has 'out_fp32')", error.Message);
    }

    [Theory]
    [InlineData("a rank the model does not take", "in_fp32", "FP32", "[4]")]
    [InlineData("an input the model does not have", "pixels", "FP32", "[1, 4]")]
    [InlineData("another datatype", "in_fp32", "INT64", "[1, 4]")]
    public void A_sample_the_model_refuses_is_named(string what, string input, string datatype, string shape)
    {
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32"));
        var set = Parse(Set("exact_match", "out_fp32", (Tensor(input, datatype, shape, "[1, 2, 3, 4]"), Tensor(null, "FP32", "[1, 4]", "[1, 2, 3, 4]"))));

        var error = Assert.Throws<LabelledSetException>(() => LabelledSetEvaluator.Evaluate(session, set));
        Assert.True(error.Message.StartsWith("$.samples[0]: the model refused the sample's inputs:", StringComparison.Ordinal), $"{what}: {error.Message}");
    }

    [Fact]
    public void Expected_labels_of_the_wrong_shape_are_named()
    {
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32"));
        var set = Parse(Set("argmax_accuracy", "out_fp32", (Tensor("in_fp32", "FP32", "[2, 2]", "[1, 2, 3, 4]"), Tensor(null, "INT64", "[3]", "[0, 1, 1]"))));

        var error = Assert.Throws<LabelledSetException>(() => LabelledSetEvaluator.Evaluate(session, set));
        Assert.Equal("$.samples[0].expected.shape: [3] must be the output's shape less its last axis, and the model answered [2, 2]", error.Message);
    }
}
