using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Batching;

/// <summary>One validated request: inputs in the model's input order, the outputs to return, and its batch size.</summary>
/// <param name="BatchSize">Items along the first dimension for batched models; 1 otherwise.</param>
/// <param name="Timeout">How long it may wait in a queue; null for no limit.</param>
public sealed record InferenceWork(IReadOnlyList<Tensor> Inputs, IReadOnlyList<string> OutputNames, int BatchSize, TimeSpan? Timeout)
{
    /// <summary>
    /// Requests with equal signatures can share a batch: same inputs, datatypes and dimensions past the first,
    /// and the same requested outputs.
    /// </summary>
    public string Signature { get; } = string.Join('|', Inputs.Select(input =>
        $"{input.Name}:{input.Datatype}:{string.Join(',', input.Shape.Skip(1))}")) + "|>" + string.Join(',', OutputNames);

    /// <summary>The bytes of every input: what this request holds in memory while it waits for its batch.</summary>
    public long Bytes { get; } = Inputs.Sum(input => (long)input.Data.Length);
}
