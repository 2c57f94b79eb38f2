namespace AiFactory.Evaluation.Running;

/// <summary>A dense FP32 tensor, row-major: what the OCR models take and give.</summary>
public sealed record FloatTensor(float[] Data, int[] Shape)
{
    /// <summary>The size of the last dimension, e.g. the classes of a [N, C] or [N, T, C] output.</summary>
    public int LastDimension => Shape[^1];
}

/// <summary>Runs a model on one FP32 input and returns its first output: in-process (<see cref="OnnxModelRun"/>) or through a server.</summary>
public delegate FloatTensor ModelRun(FloatTensor input);
