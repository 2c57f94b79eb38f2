extern alias console;

using System.Text.Json.Nodes;
using console::AiFactory.Dashboard.Models;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>What the Models page shows of a validation report, and that a report still missing (validating) or partial shows dashes.</summary>
public sealed class VersionReportTests
{
    [Fact]
    public void A_passed_report_shows_drift_the_latency_profile_and_the_recommended_batch_size()
    {
        var report = JsonNode.Parse("""
            {"passed":true,"problems":[],
             "drift":{"reference_version":1,"samples":8,"max_abs_diff":0.00125,"relative_l2":0,"argmax_agreement":0.875},
             "latency":{"profile":[{"batch_size":1,"p50_ms":1.5,"p95_ms":2.25,"items_per_second":600},{"batch_size":8,"p50_ms":4,"p95_ms":5,"items_per_second":1800}],
                        "recommended_max_batch_size":8}}
            """);

        var summary = VersionReport.Of(report);

        Assert.Equal("max |Δ| 0.001 vs v1, argmax agreement 87.5%", summary.Drift);
        Assert.Equal("b1: p50 1.5 ms, p95 2.25 ms; b8: p50 4 ms, p95 5 ms", summary.Latency);
        Assert.Equal("max_batch_size 8", summary.Recommended);
        Assert.Empty(summary.Problems);
    }

    [Fact]
    public void A_version_still_validating_has_no_report_and_shows_dashes()
    {
        Assert.Equal(("—", "—", "—", 0), Parts(VersionReport.Of(null)));
    }

    [Fact]
    public void A_failed_report_lists_its_problems_and_the_parts_it_lacks_as_dashes()
    {
        var summary = VersionReport.Of(JsonNode.Parse("""{"passed":false,"problems":["the model does not load: protobuf parsing failed"],"drift":null,"latency":{}}"""));

        Assert.Equal(("—", "—", "—", 1), Parts(summary));
        Assert.Equal("the model does not load: protobuf parsing failed", Assert.Single(summary.Problems));
    }

    [Fact]
    public void Task_metrics_show_the_headline_beside_the_reference_and_the_labelled_set_its_scores()
    {
        var summary = VersionReport.Of(JsonNode.Parse("""
            {"passed":true,"problems":[],
             "task":{"task":"text-recognition","set":"OCR evaluation set (seed 12, 40 lines, 4 pages)",
                     "candidate":[{"name":"character accuracy (1 − CER)","value":0.975,"samples":40,"higher_is_better":true}],
                     "reference":[{"name":"character accuracy (1 − CER)","value":0.992,"samples":40,"higher_is_better":true}],
                     "reference_version":1,
                     "headline":{"name":"character accuracy (1 − CER)","candidate":0.975,"reference":0.992,"difference":-0.017},"seconds":3.2,"skipped":null},
             "labelled_set":{"sha256":"ab","metric":"argmax_accuracy","output":"y","samples":2,"candidate":{"score":1,"mean_abs_error":null,"error":null},
                             "reference":{"score":0.5,"mean_abs_error":null,"error":null},"reference_version":1,"error":null}}
            """));

        Assert.Equal("character accuracy (1 − CER) 0.975 vs v1 0.992 (Δ -0.017)", summary.Task);
        Assert.Equal("argmax_accuracy 1 on 2 samples vs v1 0.5", summary.Labelled);
    }

    [Fact]
    public void Task_metrics_not_measured_and_a_set_the_model_cannot_run_say_why()
    {
        var summary = VersionReport.Of(JsonNode.Parse("""
            {"passed":true,"problems":[],
             "task":{"task":"text-direction","set":null,"candidate":null,"reference":null,"reference_version":null,"headline":null,"seconds":null,
                     "skipped":"the font DejaVu Sans is missing"},
             "labelled_set":{"sha256":"ab","metric":"argmax_accuracy","output":"nope","samples":1,"candidate":{"score":null,"mean_abs_error":null,"error":"$.output: the model has no output 'nope'"},
                             "reference":null,"reference_version":null,"error":null}}
            """));

        Assert.Equal("not measured: the font DejaVu Sans is missing", summary.Task);
        Assert.Equal("argmax_accuracy not scored ($.output: the model has no output 'nope') on 1 samples", summary.Labelled);
        Assert.Equal(("—", "—"), (VersionReport.Of(null).Task, VersionReport.Of(null).Labelled));
    }

    private static (string, string, string, int) Parts(VersionReport summary) => (summary.Drift, summary.Latency, summary.Recommended, summary.Problems.Count);
}
