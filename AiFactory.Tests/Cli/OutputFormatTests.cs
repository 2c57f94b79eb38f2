using System.Text.Json.Nodes;
using AiFactory.Cli.Commands;
using AiFactory.Cli.Output;

namespace AiFactory.Tests.Cli;

/// <summary>What the default (non-JSON) output of each command reads like, from answers in the contract's shape.</summary>
public sealed class OutputFormatTests
{
    [Fact]
    public void A_table_pads_every_column_but_the_last()
    {
        var table = new TextTable("ID", "NAME", "SCOPES");
        table.Add("1", "ocr-team", "infer");
        table.Add("22", "x");

        Assert.Equal("ID  NAME      SCOPES\n1   ocr-team  infer\n22  x\n", Write(table.Write));
    }

    [Fact]
    public void Models_list_shows_versions_by_state_and_both_weights()
    {
        var answer = JsonNode.Parse("""
            [{"name": "text-direction",
              "versions": [{"version": 1, "state": "ready"}, {"version": 2, "state": "ready"}, {"version": 3, "state": "validating"}],
              "traffic": {"desired": {"2": 10, "1": 90}, "observed": {"1": 100}}},
             {"name": "new-model", "versions": [], "traffic": null}]
            """)!;

        Assert.Equal("""
            MODEL           VERSIONS               DESIRED    OBSERVED
            text-direction  2 ready, 1 validating  1=90 2=10  1=100
            new-model       -                      -          -

            """, Write(output => ModelsCommand.WriteList(output, answer)));
    }

    [Fact]
    public void Models_show_has_the_traffic_the_versions_with_their_lineage_and_each_replica()
    {
        var model = JsonNode.Parse("""
            {"name": "text-direction",
             "versions": [
               {"version": 1, "state": "ready", "state_reason": "", "sha256": "4f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8", "size_bytes": 587776,
                "created_at": "2026-11-28T10:00:00.5+00:00", "created_by": "system"},
               {"version": 2, "state": "invalid", "state_reason": "not an ONNX model: bad protobuf", "sha256": "0000000000000000000000000000000000000000000000000000000000000000",
                "size_bytes": 12, "created_at": "2026-11-28T11:00:00Z", "created_by": "0123456789abcdef"},
               {"version": 3, "state": "ready", "state_reason": "", "sha256": "1111111111111111111111111111111111111111111111111111111111111111", "size_bytes": 294912,
                "lineage": {"parent": 1, "transform": {"name": "fp16", "options": {"keep_fp32": []}, "details": {}, "calibration": "none"}},
                "created_at": "2026-11-28T12:00:00Z", "created_by": "0123456789abcdef"}],
             "traffic": {"desired": {"1": 100}, "observed": {"1": 100}, "policy_id": 7, "reason": "seed", "updated_at": "2026-11-28T10:01:00Z", "updated_by": "system"},
             "replicas": [{"name": "inference-1", "ready": true, "versions": {"1": "ready"}}, {"name": "inference-2", "ready": false, "versions": {}}]}
            """)!;

        Assert.Equal("""
            model     text-direction
            desired   1=100
            observed  1=100
            policy    7, set 2026-11-28 10:01:00Z by system: seed

            VERSION  STATE    FROM       SIZE       SHA256        CREATED               BY                REASON
            1        ready               574.0 KiB  4f1a2b3c4d5e  2026-11-28 10:00:00Z  system
            2        invalid             12 B       000000000000  2026-11-28 11:00:00Z  0123456789abcdef  not an ONNX model: bad protobuf
            3        ready    1 by fp16  288.0 KiB  111111111111  2026-11-28 12:00:00Z  0123456789abcdef

            REPLICA      AVAILABLE  VERSIONS
            inference-1  true       1=ready
            inference-2  false

            """, Write(output => ModelsCommand.WriteModel(output, model)));
    }

    [Fact]
    public void Traffic_says_when_the_replicas_do_not_serve_the_desired_weights_yet()
    {
        var answer = JsonNode.Parse("""{"desired": {"1": 90, "2": 10}, "observed": {"1": 100}}""")!;

        Assert.Equal("""
            model     text-direction
            desired   1=90 2=10
            observed  1=100
            The replicas are still loading: traffic follows the observed weights until every replica serves the desired versions ('aifactory models show text-direction').

            """, Write(output => TrafficCommand.WriteTraffic(output, "text-direction", answer)));
    }

    [Fact]
    public void Usage_is_a_row_per_key_model_version_and_status_with_the_total()
    {
        var report = JsonNode.Parse("""
            {"from": "2026-11-28T00:00:00Z", "to": "2026-11-29T00:00:00Z", "total_requests": 8,
             "rows": [{"key_id": "k1", "model": "text-direction", "version": "1", "status": 200, "requests": 5},
                      {"key_id": "k1", "model": "text-detection", "version": "", "status": 403, "requests": 3}]}
            """)!;

        Assert.Equal("""
            KEY  MODEL           VERSION  STATUS  REQUESTS
            k1   text-direction  1        200     5
            k1   text-detection           403     3
            8 requests from 2026-11-28 00:00:00Z to 2026-11-29 00:00:00Z

            """, Write(output => UsageCommand.Write(output, report)));
    }

    [Fact]
    public void The_audit_log_shows_traffic_changes_as_before_and_after()
    {
        var entries = JsonNode.Parse("""
            [{"id": 2, "at": "2026-11-28T12:00:00Z", "key_id": "0123456789abcdef", "action": "traffic.set", "model": "text-direction", "version": null,
              "before": {"weights": {"1": 100}}, "after": {"weights": {"1": 90, "2": 10}}, "reason": "canary"},
             {"id": 1, "at": "2026-11-28T11:00:00Z", "key_id": "system", "action": "model.seed", "model": "text-direction", "version": 1,
              "before": null, "after": {"1": 100}, "reason": null}]
            """)!;

        Assert.Equal("""
            AT                    KEY               ACTION       MODEL           VERSION  CHANGE              REASON
            2026-11-28 12:00:00Z  0123456789abcdef  traffic.set  text-direction           1=100 -> 1=90 2=10  canary
            2026-11-28 11:00:00Z  system            model.seed   text-direction  1        - -> 1=100

            """, Write(output => AuditCommand.Write(output, entries)));
    }

    [Fact]
    public void A_ready_version_reads_as_one_line_per_check()
    {
        var version = JsonNode.Parse("""
            {"model": "text-direction", "version": 2, "state": "ready", "state_reason": "", "sha256": "ab12", "size_bytes": 587776,
             "validation": {"passed": true, "problems": [],
               "load": {"ok": true, "provider": "CPUExecutionProvider", "opset": 11, "producer": "PaddlePaddle", "load_ms": 812},
               "signature": {"inputs": [], "outputs": [], "compatible_with": 1, "compatible": true, "changes": []},
               "smoke": {"ok": true, "non_finite_outputs": 0},
               "drift": {"reference_version": 1, "samples": 8, "max_abs_diff": 0.0, "relative_l2": 0.0, "argmax_agreement": 1.0},
               "latency": {"profile": [{"batch_size": 1, "p50_ms": 2.1, "p95_ms": 2.6, "items_per_second": 460},
                                       {"batch_size": 8, "p50_ms": 9.5, "p95_ms": 11.2, "items_per_second": 820}], "recommended_max_batch_size": 8},
               "config": {"ok": true}}}
            """)!;

        Assert.Equal("""
            text-direction version 2: ready
              sha256     ab12, 574.0 KiB
              load       ok: CPUExecutionProvider, opset 11, producer PaddlePaddle, 812 ms
              signature  compatible with version 1
              smoke      ok: 0 non-finite outputs
              drift      against version 1 on 8 samples: max abs diff 0.0, relative L2 0.0, argmax agreement 1.0
              latency    batch 1 p50 2.1 ms p95 2.6 ms 460/s; batch 8 p50 9.5 ms p95 11.2 ms 820/s; recommended max_batch_size 8
              config     ok

            """, Write(output => ValidationSummary.Write(output, version)));
    }

    [Fact]
    public void An_invalid_or_incompatible_version_says_why()
    {
        var invalid = JsonNode.Parse("""
            {"model": "m", "version": 3, "state": "invalid", "state_reason": "not an ONNX model: bad protobuf", "sha256": "cd34", "size_bytes": 1000,
             "validation": {"passed": false, "problems": ["not an ONNX model: bad protobuf"], "load": {"ok": false}}}
            """)!;
        var incompatible = JsonNode.Parse("""
            {"model": "m", "version": 4, "state": "ready", "sha256": "ef56", "size_bytes": 1000,
             "validation": {"passed": true, "problems": [],
               "signature": {"compatible_with": 1, "compatible": false, "changes": ["input 'x' changed datatype from FP32 to FP16"]}}}
            """)!;

        Assert.Equal("""
            m version 3: invalid (not an ONNX model: bad protobuf)
              sha256     cd34, 1000 B
              load       FAILED
              problem    not an ONNX model: bad protobuf

            """, Write(output => ValidationSummary.Write(output, invalid)));
        Assert.Contains("  signature  NOT compatible with version 1: input 'x' changed datatype from FP32 to FP16 (traffic needs --force and a reason)\n",
            Write(output => ValidationSummary.Write(output, incompatible)));
    }

    [Fact]
    public void Attack_a_key_name_with_terminal_escapes_is_listed_without_them()
    {
        // A name an attacker chose (an OSC sequence that retitles the terminal, a line break that forges a row) is
        // data: it is shown, its control characters are not sent to the terminal.
        var keys = JsonNode.Parse("""
            [{"id": "0123456789abcdef", "name": "evil\u001b]0;owned\u0007\nforged-row", "scopes": ["infer"], "models": null,
              "requests_per_second": null, "burst": 5, "max_concurrency": null, "created_at": "2026-11-28T10:00:00.123+00:00", "revoked_at": null}]
            """)!;

        var output = Write(output => KeysCommand.WriteList(output, keys));

        Assert.Contains("evil?]0;owned??forged-row", output);
        Assert.DoesNotContain(output, c => char.IsControl(c) && c != '\n');
        Assert.Equal(2, output.Count(c => c == '\n'));
        Assert.Contains("0123456789abcdef  evil?]0;owned??forged-row  infer   (all)   default  5      default      2026-11-28 10:00:00Z  -", output);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(1073741824, "1.0 GiB")]
    public void Sizes_read_in_binary_units(long bytes, string text) => Assert.Equal(text, Format.Bytes(bytes));

    [Fact]
    public void Weights_are_listed_in_numeric_version_order()
    {
        Assert.Equal("9=95 10=5", Format.Weights(JsonNode.Parse("""{"10": 5, "9": 95}""")));
        Assert.Equal("-", Format.Weights(JsonNode.Parse("{}")));
    }

    [Fact]
    public void A_list_answer_is_an_array_or_an_envelope_holding_one()
    {
        Assert.Single(JsonOutput.Items(JsonNode.Parse("""[{"name": "a"}]""")!, "models"));
        Assert.Single(JsonOutput.Items(JsonNode.Parse("""{"models": [{"name": "a"}]}""")!, "models"));
        var notAList = Assert.Throws<AiFactory.Cli.CommandFailedException>(() => JsonOutput.Items(JsonNode.Parse("""{"name": "a"}""")!, "models").ToList());
        Assert.Equal(AiFactory.Cli.ExitCodes.Unavailable, notAList.ExitCode);
    }

    private static string Write(Action<TextWriter> write)
    {
        using var output = new StringWriter { NewLine = "\n" };
        write(output);
        return output.ToString();
    }
}
