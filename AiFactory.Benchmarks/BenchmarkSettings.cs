namespace AiFactory.Benchmarks;

/// <summary>
/// Session options applied alike to the in-process limits and to the served models, so each served figure is
/// measured against a limit with the same options.
/// </summary>
/// <param name="IntraOpThreads">ONNX Runtime threads per run; 0 = its default (one per core).</param>
/// <param name="Instances">The batched model's <c>instance_count</c>: batches run at once.</param>
public sealed record BenchmarkSettings(int IntraOpThreads, int Instances)
{
    public override string ToString() =>
        $"intra_op_threads {(IntraOpThreads == 0 ? "default (one per core)" : IntraOpThreads)}, instance_count {Instances} when batching";
}
