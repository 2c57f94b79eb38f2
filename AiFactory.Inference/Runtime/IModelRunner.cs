namespace AiFactory.Inference.Runtime;

/// <summary>
/// What an executor needs of a model version: run validated inputs, and account for what it ran. The seam between
/// batching and ONNX Runtime (<see cref="LoadedModel"/>), so the batcher can be tested with a runner of its own.
/// </summary>
public interface IModelRunner
{
    /// <summary>The model's name, for messages.</summary>
    string Name { get; }

    /// <summary>The version's number, for messages.</summary>
    string Version { get; }

    /// <summary>Runs the model; inputs must already be validated. Times the run's three phases.</summary>
    IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings);

    /// <summary>
    /// Records one execution: <paramref name="items"/> real items (what statistics and metrics count), run as a
    /// batch of <paramref name="executedItems"/> (more when the batch was padded to a fixed size).
    /// </summary>
    void RecordExecution(int items, int executedItems, RunTimings timings);

    /// <summary>Items entered (positive) or left (negative) the queue.</summary>
    void RecordQueueDepth(int items);

    /// <summary>How long one request waited in the queue.</summary>
    void RecordQueueWait(TimeSpan waited);
}
