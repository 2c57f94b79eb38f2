using System.Text.Json.Nodes;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// The explicit TensorRT optimization profile of a <c>tensorrt</c> version's shared session, derived from its config
/// and the signature validation read: per input, the smallest and largest of the shapes the config fixes (<c>inputs</c>
/// dims, <c>warmup_shapes</c>, or the signature itself where it has no variable dims), with the batch dimension from 1 to
/// <c>max_batch_size</c>; tuned for the largest (a loaded server fills its batches). Without such shapes for every
/// input there is no profile, and the reason says which input lacks them: TensorRT then builds for the shapes it meets.
/// </summary>
public static class TensorRtProfiles
{
    /// <summary>The profile (<c>{"min": {input: shape}, "opt": …, "max": …}</c>), or null and the reason there is none.</summary>
    public static (JsonObject? Profile, string? Reason) Derive(JsonObject config, string? signature)
    {
        var maxBatch = config["max_batch_size"] is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;
        var candidates = new Dictionary<string, List<long[]>>(StringComparer.Ordinal);
        foreach (var input in Inputs(signature))
        {
            var (name, shape) = input;
            var dims = maxBatch > 0 ? shape.Skip(1).ToArray() : shape;
            Add(candidates, name, dims.All(dim => dim > 0) ? dims : null);
        }

        foreach (var input in (config["inputs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Add(candidates, input["name"]?.GetValue<string>() ?? "", Dims(input["dims"]));
        }

        foreach (var entry in (config["warmup_shapes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var (name, dims) in entry)
            {
                Add(candidates, name, Dims(dims));
            }
        }

        if (candidates.Count == 0)
        {
            return (null, "the version has no validated signature naming its inputs");
        }

        var (min, opt, max) = (new JsonObject(), new JsonObject(), new JsonObject());
        foreach (var (name, shapes) in candidates.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (shapes.Count == 0)
            {
                return (null, $"input '{name}' has variable dims that neither 'inputs' nor 'warmup_shapes' fixes");
            }

            if (shapes.Select(shape => shape.Length).Distinct().Count() > 1)
            {
                return (null, $"input '{name}' is given shapes of different ranks");
            }

            var smallest = Enumerable.Range(0, shapes[0].Length).Select(i => shapes.Min(shape => shape[i]));
            var largest = Enumerable.Range(0, shapes[0].Length).Select(i => shapes.Max(shape => shape[i])).ToArray();
            min[name] = Shape(maxBatch > 0 ? [1, .. smallest] : [.. smallest]);
            opt[name] = Shape(maxBatch > 0 ? [maxBatch, .. largest] : largest);
            max[name] = Shape(maxBatch > 0 ? [maxBatch, .. largest] : largest);
        }

        return (new JsonObject { ["min"] = min, ["opt"] = opt, ["max"] = max }, null);
    }

    // Inputs the signature names, with their shapes (-1 where variable).
    private static IEnumerable<(string Name, long[] Shape)> Inputs(string? signature) =>
        (JsonNode.Parse(signature ?? "{}")?["inputs"] as JsonArray ?? []).OfType<JsonObject>()
        .Select(input => (input["name"]?.GetValue<string>() ?? "", Dims(input["shape"]) ?? [.. (input["shape"] as JsonArray ?? []).Select(_ => -1L)]));

    // A fixed shape, or null where a dim is variable (-1) or the node is not a list of integers.
    private static long[]? Dims(JsonNode? node)
    {
        if (node is not JsonArray array || array.Count == 0)
        {
            return null;
        }

        var dims = array.Select(dim => dim is JsonValue number && number.TryGetValue<long>(out var size) ? size : -1).ToArray();
        return dims.All(dim => dim > 0) ? dims : null;
    }

    private static void Add(Dictionary<string, List<long[]>> candidates, string name, long[]? shape)
    {
        if (name.Length == 0)
        {
            return;
        }

        var shapes = candidates.TryGetValue(name, out var found) ? found : candidates[name] = [];
        if (shape is not null)
        {
            shapes.Add(shape);
        }
    }

    private static JsonArray Shape(IEnumerable<long> dims) => new([.. dims.Select(dim => (JsonNode)dim)]);
}
