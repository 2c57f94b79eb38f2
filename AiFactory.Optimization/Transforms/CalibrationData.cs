using AiFactory.Evaluation.Running;

namespace AiFactory.Optimization.Transforms;

/// <summary>
/// Inputs to run a model on, by input name, one batch per entry: the model's evaluation set (the OCR sample models)
/// or samples uploaded with it. INT8 static quantization calibrates activation ranges on them.
/// </summary>
/// <param name="Source">Where they came from, for the lineage, e.g. "OCR evaluation set (seed 7, 64 lines)".</param>
public sealed record CalibrationData(string Source, IReadOnlyList<IReadOnlyDictionary<string, FloatTensor>> Batches)
{
    public static CalibrationData None { get; } = new("none", []);

    public bool IsEmpty => Batches.Count == 0;
}
