using System.Text.Json.Nodes;

namespace AiFactory.Dashboard.Cost;

/// <summary>A model version's measured capacity and where it runs, from its validation report (registry contract).</summary>
public sealed record VersionCapacity(string Model, string Version, double? ItemsPerSecond, bool OnGpu)
{
    /// <summary>
    /// Every version of <c>GET /api/admin/models</c>: <c>validation.latency.profile[].items_per_second</c> (the best of
    /// them) and <c>validation.load.provider</c> (CUDA or TensorRT: a GPU node). A version without a report has none.
    /// </summary>
    public static IReadOnlyList<VersionCapacity> FromModels(JsonNode? models)
    {
        var list = models as JsonArray ?? (models as JsonObject)?["models"] as JsonArray ?? [];
        var capacities = new List<VersionCapacity>();
        foreach (var model in list.OfType<JsonObject>())
        {
            var name = Text(model["name"]);
            foreach (var version in (model["versions"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var validation = version["validation"] as JsonObject;
                var profile = ((validation?["latency"] as JsonObject)?["profile"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(step => step["items_per_second"] is JsonValue value && value.TryGetValue(out double itemsPerSecond) ? itemsPerSecond : 0);
                var provider = Text((validation?["load"] as JsonObject)?["provider"]);
                capacities.Add(new VersionCapacity(name, version["version"]?.ToString() ?? "", CostFormula.Capacity(profile),
                    provider.Contains("CUDA", StringComparison.OrdinalIgnoreCase) || provider.Contains("Tensorrt", StringComparison.OrdinalIgnoreCase)));
            }
        }

        return capacities;
    }

    // Tolerant of a report still being written or of another shape: a missing figure is "unknown", never a broken page.
    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : "";
}

/// <summary>One row of the cost table: a model version's requests in the period and what they cost.</summary>
public sealed record CostLine(string Model, string Version, long Requests, double? ItemsPerSecond, bool OnGpu);
