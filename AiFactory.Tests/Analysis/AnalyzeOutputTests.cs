using System.Text.Json.Nodes;
using AiFactory.Cli.Commands;

namespace AiFactory.Tests.Analysis;

/// <summary>What <c>aifactory models analyze</c> prints, from an answer in the contract's shape.</summary>
public sealed class AnalyzeOutputTests
{
    [Fact]
    public void The_table_marks_the_shipped_rows_and_is_followed_by_the_notes_the_answer_and_the_changes()
    {
        var analysis = JsonNode.Parse("""
            {"id": 7, "model": "text-direction", "version": 1, "objective": {"percentile": 95, "latency_ms": 50},
             "table": [
               {"settings": {"max_batch_size": 64, "max_queue_delay_us": 500, "instance_count": 1, "intra_op_threads": 0, "execution_provider": "cpu"},
                "baseline": true, "concurrency": 8, "throughput_per_s": 300.5, "p50_ms": 20, "p95_ms": 40, "p99_ms": 45, "meets_objective": true, "error": null},
               {"settings": {"max_batch_size": 8, "max_queue_delay_us": 1000, "instance_count": 2, "intra_op_threads": 1, "execution_provider": "cpu"},
                "baseline": false, "concurrency": 8, "throughput_per_s": 420, "p50_ms": 15, "p95_ms": 30, "p99_ms": 33, "meets_objective": true, "error": null},
               {"settings": {"max_batch_size": 8, "max_queue_delay_us": 1000, "instance_count": 2, "intra_op_threads": 1, "execution_provider": "cuda"},
                "baseline": false, "concurrency": 8, "throughput_per_s": 0, "p50_ms": 0, "p95_ms": 0, "p99_ms": 0, "meets_objective": false, "error": "no CUDA"}],
             "recommendation": {"changes": {"max_batch_size": 8, "instance_count": 2}},
             "answer": "it is better", "notes": ["CPU only: no CUDA"]}
            """)!;
        using var output = new StringWriter { NewLine = "\n" };

        ModelsAnalyzeCommand.WriteAnalysis(output, analysis);

        Assert.Equal("""
            analysis 7 of text-direction version 1, objective p95 ≤ 50 ms
                     MAX_BATCH  DELAY_US  INSTANCES  THREADS  PROVIDER  CONCURRENCY  THROUGHPUT/S  P50_MS  P95_MS  P99_MS  MEETS
            shipped  64         500       1          0        cpu       8            300.5         20      40      45      yes
                     8          1000      2          1        cpu       8            420           15      30      33      yes
                     8          1000      2          1        cuda      8            0             0       0       0       error: no CUDA
            note: CPU only: no CUDA
            answer: it is better
            recommended changes: {"max_batch_size":8,"instance_count":2} (apply: aifactory models analyze ... --apply, or POST /api/admin/analyses/7/apply)

            """, output.ToString());
    }
}
