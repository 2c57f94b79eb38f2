extern alias console;

using System.Text.Json.Nodes;
using console::AiFactory.Dashboard.Authentication;
using console::AiFactory.Dashboard.Cost;
using console::AiFactory.Dashboard.Gateway;
using console::AiFactory.Dashboard.Usage;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>The console's plain logic: the cost formula, capacities from validation reports, the CSV export, return URLs.</summary>
public sealed class CostFormulaTests
{
    [Fact]
    public void Cost_per_thousand_inferences_is_the_node_hour_price_over_the_inferences_of_an_hour()
    {
        // 0.36 per hour at 100 items/s: 360,000 inferences an hour, 0.001 per 1,000.
        Assert.Equal(0.001m, CostFormula.PerThousandInferences(0.36m, 100));
        Assert.Equal(2.5m, CostFormula.PerThousandInferences(9m, 1));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0.0)]
    [InlineData(-3.0)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NaN)]
    public void Without_a_measured_capacity_there_is_no_cost(double? itemsPerSecond) =>
        Assert.Null(CostFormula.PerThousandInferences(1m, itemsPerSecond));

    [Fact]
    public void Capacity_is_the_best_items_per_second_of_a_validation_latency_profile_and_gpu_follows_the_provider()
    {
        var models = JsonNode.Parse("""
            [{"name": "text-direction", "versions": [
               {"version": 1, "state": "ready", "validation": {"load": {"provider": "CPUExecutionProvider"},
                 "latency": {"profile": [{"batch_size": 1, "items_per_second": 460}, {"batch_size": 8, "items_per_second": 1900.5}]}}},
               {"version": 2, "state": "validating", "validation": null},
               {"version": 3, "state": "ready", "validation": {"load": {"provider": "CUDAExecutionProvider"},
                 "latency": {"profile": [{"batch_size": 1, "items_per_second": 5000}]}}}]}]
            """);

        var capacities = VersionCapacity.FromModels(models);

        Assert.Equal(
            [new VersionCapacity("text-direction", "1", 1900.5, false), new VersionCapacity("text-direction", "2", null, false),
             new VersionCapacity("text-direction", "3", 5000, true)],
            capacities);
    }

    [Fact]
    public void The_csv_export_quotes_what_must_be_quoted_and_defuses_spreadsheet_formulas()
    {
        var csv = UsageCsv.Write([new UsageRow("k1", "text-direction", "1", 200, 12), new UsageRow("=cmd|' /C calc'!A0", "a,b", "2", 429, 1)]);

        Assert.Equal("key_id,model,version,status,requests\r\nk1,text-direction,1,200,12\r\n'=cmd|' /C calc'!A0,\"a,b\",2,429,1\r\n", csv);
    }

    [Theory]
    [InlineData("/keys", "/keys")]
    [InlineData("usage?x=1", "/usage?x=1")]
    [InlineData(null, "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData("javascript:alert(1)", "/")]
    public void A_return_url_outside_the_console_becomes_its_root(string? url, string expected) =>
        Assert.Equal(expected, ConsoleUrls.LocalOrRoot(url));
}
