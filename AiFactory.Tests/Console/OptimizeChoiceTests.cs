extern alias console;

using System.Text.Json.Nodes;
using console::AiFactory.Dashboard.Models;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>The console's optimize dialog sends the chosen transform with its own options only, and rows name a version's origin.</summary>
public sealed class OptimizeChoiceTests
{
    [Fact]
    public void Each_transform_sends_only_its_own_options()
    {
        var choice = new OptimizeChoice { Level = "all", KeepFp32 = " Softmax, Resize ,", Calibration = "percentile", Percentile = 99.9, Precision = "int8" };

        var requests = OptimizeChoice.Transforms.ToDictionary(transform => transform, transform =>
        {
            choice.Transform = transform;
            return choice.ToRequest().ToJsonString();
        });

        Assert.Equal(new Dictionary<string, string>
        {
            ["graph"] = """{"transform":"graph","level":"all"}""",
            ["fp16"] = """{"transform":"fp16","keep_fp32":["Softmax","Resize"]}""",
            ["int8-dynamic"] = """{"transform":"int8-dynamic"}""",
            ["int8-static"] = """{"transform":"int8-static","calibration":"percentile","percentile":99.9}""",
            ["tensorrt"] = """{"transform":"tensorrt","precision":"int8"}""",
        }, requests);
        Assert.Equal("""{"transform":"int8-static","calibration":"minmax"}""",
            new OptimizeChoice { Transform = "int8-static", Percentile = 99.9 }.ToRequest().ToJsonString());
    }

    [Fact]
    public void A_row_names_the_parent_and_the_transform_or_says_uploaded()
    {
        Assert.Equal("v3 ← v1 by fp16", OptimizeChoice.Lineage(3, 1, JsonNode.Parse("""{"name": "fp16", "options": {}}""")));
        Assert.Equal("uploaded", OptimizeChoice.Lineage(1, null, null));
    }
}
