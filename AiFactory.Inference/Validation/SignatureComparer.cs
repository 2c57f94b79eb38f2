using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Validation;

/// <summary>
/// What a client of the reference version would have to change to call the candidate: inputs removed or added (every
/// input is required), outputs removed, and for tensors both have, a changed datatype or rank, or a dimension now fixed
/// to a size the reference did not fix it to. An added output or a dimension that became variable is not a change.
/// </summary>
public static class SignatureComparer
{
    public static List<string> Changes(
        IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs, IReadOnlyList<TensorSpec> referenceInputs, IReadOnlyList<TensorSpec> referenceOutputs)
    {
        var changes = new List<string>();
        Compare("input", inputs, referenceInputs, changes);
        foreach (var added in inputs.Where(input => referenceInputs.All(reference => reference.Name != input.Name)))
        {
            changes.Add($"input '{added.Name}' is new: callers of the reference do not send it");
        }

        Compare("output", outputs, referenceOutputs, changes);
        return changes;
    }

    private static void Compare(string kind, IReadOnlyList<TensorSpec> candidate, IReadOnlyList<TensorSpec> reference, List<string> changes)
    {
        foreach (var expected in reference)
        {
            var actual = candidate.FirstOrDefault(spec => spec.Name == expected.Name);
            if (actual is null)
            {
                changes.Add($"{kind} '{expected.Name}' was removed");
            }
            else if (actual.Datatype != expected.Datatype)
            {
                changes.Add($"{kind} '{expected.Name}' changed datatype from {expected.Datatype} to {actual.Datatype}");
            }
            else if (actual.Shape.Length != expected.Shape.Length)
            {
                changes.Add($"{kind} '{expected.Name}' changed rank from {expected.Shape.Length} to {actual.Shape.Length} "
                            + $"({Shapes.Format(expected.Shape)} to {Shapes.Format(actual.Shape)})");
            }
            else if (actual.Shape.Where((dimension, i) => dimension >= 0 && expected.Shape[i] >= 0 && dimension != expected.Shape[i]).Any()
                     || actual.Shape.Where((dimension, i) => dimension >= 0 && expected.Shape[i] < 0).Any())
            {
                changes.Add($"{kind} '{expected.Name}' changed shape from {Shapes.Format(expected.Shape)} to {Shapes.Format(actual.Shape)}");
            }
        }
    }
}
