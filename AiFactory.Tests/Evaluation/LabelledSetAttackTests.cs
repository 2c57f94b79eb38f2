using System.Text;
using AiFactory.Evaluation.Labelled;
using AiFactory.Tests.Storage;

namespace AiFactory.Tests.Evaluation;

/// <summary>
/// Hostile labelled sets, as an upload endpoint would pass them on: each is refused with a message naming the
/// problem and its JSON path (an endpoint answers 400, 413 for <see cref="LabelledSetTooLargeException"/>), and
/// none makes the reader hold more than the bytes and values it was allowed.
/// </summary>
public sealed class LabelledSetAttackTests
{
    private const string Input = """{ "name": "x", "datatype": "FP32", "shape": [1, 2], "data": [1, 2] }""";
    private const string Expected = """{ "datatype": "INT64", "shape": [1], "data": [1] }""";

    private static string Set(string input = Input, string expected = Expected, string metric = "argmax_accuracy", string extra = "") =>
        $$"""{ "metric": "{{metric}}", "output": "y", "samples": [ { "inputs": [ {{input}} ], "expected": {{expected}} } ]{{extra}} }""";

    private static string Refusal(string json, LabelledSetLimits? limits = null) =>
        Assert.Throws<LabelledSetException>(() => LabelledSetReader.Parse(Encoding.UTF8.GetBytes(json), limits ?? new LabelledSetLimits())).Message;

    [Fact]
    public void An_endless_upload_is_cut_off_at_the_byte_limit_and_allocates_within_4_times_it()
    {
        var limits = new LabelledSetLimits { MaxBytes = 1024 * 1024 };
        using var endless = new GeneratedStream(GeneratedStream.Endless);
        var allocated = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<LabelledSetTooLargeException>(() => LabelledSetReader.ReadAsync(endless, limits, CancellationToken.None).GetAwaiter().GetResult());

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Equal("the labelled set is larger than the limit of 1048576 bytes", error.Message);
        Assert.InRange(endless.BytesRead, limits.MaxBytes + 1, limits.MaxBytes + 1);
        Assert.True(allocated < 4L * limits.MaxBytes, $"allocated {allocated} bytes reading a set cut off at {limits.MaxBytes}");
    }

    [Fact]
    public void A_shape_bomb_is_checked_against_the_values_that_came_and_never_allocated()
    {
        var json = Set("""{ "name": "x", "datatype": "FP32", "shape": [2147483647, 2147483647, 2147483647], "data": [1] }""");
        var allocated = GC.GetAllocatedBytesForCurrentThread();

        var message = Refusal(json);

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 1024 * 1024, "the declared shape was allocated");
        Assert.Equal("$.samples[0].inputs[0]: shape [2147483647, 2147483647, 2147483647] does not hold the 1 values given", message);
    }

    [Fact]
    public void A_value_flood_stops_at_the_element_limit()
    {
        var data = "[" + string.Join(",", Enumerable.Repeat("0", 1001)) + "]";

        var message = Refusal(Set($$"""{ "name": "x", "datatype": "FP32", "shape": [1001], "data": {{data}} }"""), new LabelledSetLimits { MaxElements = 1000 });

        Assert.Equal("$.samples[0].inputs[0].data: the labelled set holds more than the limit of 1000 values", message);
    }

    [Fact]
    public void A_sample_flood_stops_at_the_sample_limit()
    {
        var sample = $$"""{ "inputs": [ {{Input}} ], "expected": {{Expected}} }""";
        var json = $$"""{ "metric": "exact_match", "output": "y", "samples": [ {{sample}}, {{sample}}, {{sample}} ] }""";

        Assert.Equal("$.samples: more than the limit of 2 samples", Refusal(json, new LabelledSetLimits { MaxSamples = 2 }));
    }

    [Fact]
    public void Data_that_does_not_fill_its_shape_is_refused()
    {
        Assert.Equal("$.samples[0].inputs[0]: shape [2, 2] does not hold the 3 values given",
            Refusal(Set("""{ "name": "x", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3] }""")));
    }

    [Theory]
    [InlineData("truncated", """{ "metric": "exact_match", "output": "y", "samples": [""", "the labelled set is not valid JSON: Expected depth to be zero")]
    [InlineData("trailing content", """{ "metric": "exact_match", "output": "y", "samples": [ { "inputs": [ { "name": "x", "datatype": "FP32", "shape": [1], "data": [1] } ], "expected": { "datatype": "FP32", "shape": [1], "data": [1] } } ] } {}""", "the labelled set is not valid JSON: '{' is invalid after a single JSON value")]
    [InlineData("a comment", """{ /* c */ "metric": "exact_match" }""", "the labelled set is not valid JSON: '/' is invalid")]
    [InlineData("NaN", """{ "metric": "exact_match", "output": "y", "samples": [ { "inputs": [ { "name": "x", "datatype": "FP32", "shape": [1], "data": [NaN] } ] } ] }""", "the labelled set is not valid JSON: 'N' is an invalid start of a value")]
    public void Text_that_is_not_JSON_is_refused_as_such(string attack, string json, string message)
    {
        Assert.True(Refusal(json).StartsWith(message, StringComparison.Ordinal), $"{attack}: {Refusal(json)}");
    }

    [Fact]
    public void Data_nested_past_the_reader_depth_is_refused_without_recursion()
    {
        var data = new string('[', 200) + "1" + new string(']', 200);

        Assert.StartsWith("the labelled set is not valid JSON:", Refusal(Set($$"""{ "name": "x", "datatype": "FP32", "shape": [1], "data": {{data}} }""")));
    }

    [Theory]
    [InlineData("""{ "name": "x", "datatype": "FP16", "shape": [1], "data": [1] }""", "$.samples[0].inputs[0].datatype: 'FP16' is not supported (BOOL, UINT8, INT8, INT16, INT32, INT64, FP32, FP64)")]
    [InlineData("""{ "name": "x", "datatype": "BYTES", "shape": [1], "data": ["a"] }""", "$.samples[0].inputs[0].datatype: 'BYTES' is not supported (BOOL, UINT8, INT8, INT16, INT32, INT64, FP32, FP64)")]
    [InlineData("""{ "name": "x", "datatype": "INT8", "shape": [1], "data": [200] }""", "$.samples[0].inputs[0].data: 200 is not a INT8 value")]
    [InlineData("""{ "name": "x", "datatype": "INT32", "shape": [1], "data": [1.5] }""", "$.samples[0].inputs[0].data: 1.5 is not a INT32 value")]
    [InlineData("""{ "name": "x", "datatype": "BOOL", "shape": [1], "data": [2] }""", "$.samples[0].inputs[0].data: 2 is not a BOOL value")]
    [InlineData("""{ "name": "x", "datatype": "FP32", "shape": [1], "data": [1e39] }""", "$.samples[0].inputs[0].data: 1E+39 is out of FP32's range")]
    [InlineData("""{ "name": "x", "datatype": "FP32", "shape": [-1], "data": [1] }""", "$.samples[0].inputs[0].shape[0]: a dimension is a whole number from 0 to 2147483647")]
    [InlineData("""{ "name": "x", "datatype": "FP32", "shape": [0, 3000000000], "data": [] }""", "$.samples[0].inputs[0].shape[1]: a dimension is a whole number from 0 to 2147483647")]
    [InlineData("""{ "name": "x", "datatype": "FP32", "shape": [1, 1, 1, 1, 1, 1, 1, 1, 1], "data": [1] }""", "$.samples[0].inputs[0].shape: more than 8 dimensions")]
    [InlineData("""{ "name": "x", "datatype": "FP32", "shape": [1], "data": ["1"] }""", "$.samples[0].inputs[0].data[0]: a value is a finite number or a boolean")]
    [InlineData("""{ "name": "x\u0000y", "datatype": "FP32", "shape": [1], "data": [1] }""", "$.samples[0].inputs[0].name: a name is 1 to 256 characters without control characters")]
    [InlineData("""{ "name": "x", "datatype": "FP32", "shape": [1], "data": [1], "bytes": 4 }""", "$.samples[0].inputs[0].bytes: unknown field")]
    [InlineData("""{ "name": "x", "datatype": "FP32", "shape": [1], "shape": [1], "data": [1] }""", "$.samples[0].inputs[0].shape: given twice")]
    [InlineData("""{ "datatype": "FP32", "shape": [1], "data": [1] }""", "$.samples[0].inputs[0].name is required")]
    [InlineData("""{ "name": "x", "datatype": "FP32", "data": [1] }""", "$.samples[0].inputs[0].shape is required")]
    public void A_malformed_input_tensor_is_refused_naming_its_path(string input, string expected)
    {
        Assert.Equal(expected, Refusal(Set(input)));
    }

    [Fact]
    public void An_input_given_twice_is_refused()
    {
        Assert.Equal("$.samples[0].inputs[1].name: input 'x' is given twice", Refusal(Set(Input + ", " + Input)));
    }

    [Theory]
    [InlineData("argmax_accuracy", """{ "datatype": "FP32", "shape": [1], "data": [1] }""", "$.samples[0].expected.datatype: argmax_accuracy expects class indices (INT32 or INT64), not FP32")]
    [InlineData("max_abs_error", """{ "datatype": "INT64", "shape": [1], "data": [1] }""", "$.samples[0].expected.datatype: max_abs_error expects FP32 or FP64 values, not INT64")]
    [InlineData("exact_match", """{ "name": "z", "datatype": "INT64", "shape": [1], "data": [1] }""", "$.samples[0].expected.name: 'z' is not the output the set measures ('y')")]
    [InlineData("f1", Expected, "$.metric: 'f1' is not a metric (argmax_accuracy, max_abs_error, exact_match)")]
    public void Expectations_the_metric_cannot_score_are_refused(string metric, string expected, string message)
    {
        Assert.Equal(message, Refusal(Set(expected: expected, metric: metric)));
    }

    [Theory]
    [InlineData("""{ "metric": "exact_match", "output": "y" }""", "$.samples is required")]
    [InlineData("""{ "metric": "exact_match", "output": "y", "samples": [] }""", "$.samples: at least one sample is required")]
    [InlineData("""{ "metric": "exact_match", "output": "y", "samples": [ { "inputs": [] } ] }""", "$.samples[0].inputs: at least one input is required")]
    [InlineData("""{ "metric": "exact_match", "output": "y", "samples": {} }""", "$.samples: an array is required")]
    [InlineData("""[]""", "$: an object is required")]
    [InlineData("""{ "metric": "exact_match", "output": "y", "weights": {}, "samples": [] }""", "$.weights: unknown field")]
    public void A_set_without_what_it_needs_is_refused(string json, string message)
    {
        Assert.Equal(message, Refusal(json));
    }
}
