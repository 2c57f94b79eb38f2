namespace AiFactory.Optimization.Transforms;

/// <summary>Every transform, by the name an operator asks for.</summary>
public static class ModelTransforms
{
    public static IReadOnlyDictionary<string, IModelTransform> All { get; } = new IModelTransform[]
    {
        new GraphOptimizationTransform(),
        new Fp16Transform(),
        new Int8DynamicTransform(),
        new Int8StaticTransform(),
    }.ToDictionary(transform => transform.Name, StringComparer.Ordinal);

    /// <exception cref="TransformRefusedException">No transform has that name.</exception>
    public static IModelTransform Named(string name) => All.TryGetValue(name, out var transform) ? transform
        : throw new TransformRefusedException($"unknown transform '{name}': one of {string.Join(", ", All.Keys.Order())}");
}
