using System.Text;
using AiFactory.Optimization.Transforms;

namespace AiFactory.Tests.Optimization;

/// <summary>An optimize request parsed once, strictly, into the transform and its options; its canonical form parses back to the same.</summary>
public sealed class TransformRequestTests
{
    [Fact]
    public void Each_transforms_options_are_read_and_written_back_canonically()
    {
        var graph = Parse("""{"transform": "graph", "level": "all"}""");
        var fp16 = Parse("""{"transform": "fp16", "keep_fp32": ["Softmax", "Resize", "Softmax"]}""");
        var int8 = Parse("""{"transform": "int8-static", "calibration": "percentile", "percentile": 99.9}""");
        var tensorRt = Parse("""{"transform": "tensorrt"}""");

        Assert.Equal("all", graph.Options.GraphLevel);
        Assert.Equal(["Resize", "Softmax"], fp16.Options.KeepFp32Operators.Order());
        Assert.Equal((CalibrationMethod.Percentile, 99.9), (int8.Options.Calibration, int8.Options.Percentile));
        Assert.Equal("fp16", tensorRt.Precision);
        Assert.Equal("""{"transform":"graph","level":"all"}""", graph.ToJson().ToJsonString());
        Assert.Equal("""{"transform":"fp16","keep_fp32":["Resize","Softmax"]}""", fp16.ToJson().ToJsonString());
        Assert.Equal("""{"transform":"int8-static","calibration":"percentile","percentile":99.9}""", int8.ToJson().ToJsonString());
        Assert.Equal("""{"transform":"tensorrt","precision":"fp16"}""", tensorRt.ToJson().ToJsonString());
        Assert.Equal(int8.ToJson().ToJsonString(), Parse(int8.ToJson().ToJsonString()).ToJson().ToJsonString());
    }

    [Theory]
    [InlineData("[]", "the body must be a JSON object: {\"transform\": \"...\", options...}")]
    [InlineData("{}", "'transform' is required: one of ")]
    [InlineData("""{"transform": "graph", "level": 3}""", "'level' must be a string")]
    [InlineData("""{"transform": "int8-static", "calibration": "entropy"}""", "'calibration' is 'entropy': minmax or percentile")]
    [InlineData("""{"transform": "int8-static", "percentile": 50}""", "'percentile' is 50: a number in (90, 100], e.g. 99.99")]
    [InlineData("""{"transform": "int8-static", "percentile": 100.5}""", "'percentile' is 100.5: a number in (90, 100], e.g. 99.99")]
    [InlineData("""{"transform": "tensorrt", "precision": "int4"}""", "'precision' is 'int4': fp16 or int8")]
    [InlineData("""{"transform": "fp16", "keep_fp32": ["Soft max"]}""", "'keep_fp32' holds \"Soft max\": an ONNX operator type, letters and digits, e.g. \"Softmax\"")]
    [InlineData("""{"transform": "fp16", "keep_fp32": "Softmax"}""", "'keep_fp32' must be an array of at most 64 operator types, e.g. [\"Softmax\", \"Resize\"]")]
    [InlineData("""{"transform": "fp16", "level": "all"}""", "'level' is an option of transform 'graph', not of 'fp16'")]
    [InlineData("""{"transform": "graph", "__proto__": 1}""", "unknown field '__proto__': a request has 'transform' and the options 'level', 'keep_fp32', 'calibration', 'percentile', 'precision'")]
    [InlineData("""{"transform": "graph" """, "the body is not JSON: ")]
    public void A_malformed_request_is_refused_naming_the_field(string json, string message)
    {
        var refused = Assert.Throws<FormatException>(() => Parse(json));

        Assert.StartsWith(message, refused.Message);
    }

    [Fact]
    public void Attack_a_keep_fp32_list_of_thousands_of_operators_is_refused()
    {
        var json = """{"transform": "fp16", "keep_fp32": [""" + string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"Op{i}\"")) + "]}";

        var refused = Assert.Throws<FormatException>(() => Parse(json));

        Assert.StartsWith("'keep_fp32' must be an array of at most 64 operator types", refused.Message);
    }

    // Every transform the issue names, whether or not this build has it yet: the options belong to them all the same.
    private static readonly string[] Transforms = ["fp16", "graph", "int8-dynamic", "int8-static", "tensorrt"];

    [Fact]
    public void The_transforms_there_are_are_the_files_a_replica_makes_and_tensorrt()
    {
        Assert.Equal([.. ModelTransforms.All.Keys.Append("tensorrt").Order(StringComparer.Ordinal)], TransformRequest.Names);
        Assert.Equal("unknown transform 'turbo': one of fp16, graph, int8-dynamic, int8-static, tensorrt",
            Assert.Throws<FormatException>(() => Parse("""{"transform": "turbo"}""")).Message);
    }

    private static TransformRequest Parse(string json) => TransformRequest.Parse(Encoding.UTF8.GetBytes(json), Transforms);
}
