using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Gateway.Errors;

namespace AiFactory.Gateway.Analysis;

/// <summary>
/// The body of <c>POST …/analyze</c>, parsed strictly: <c>{"objective": {"percentile": 95|99, "latency_ms": n},
/// "sweep": {"max_batch_size": [..], "max_queue_delay_us": [..], "instance_count": [..], "intra_op_threads": [..],
/// "execution_provider": ["cpu"|"cuda"], "concurrency": [..]}, "seconds_per_point": s}</c>; only the objective is
/// required. A field it does not know, or of the wrong kind, is refused naming it; the ranges' values are the
/// replica's to judge (it names the field too).
/// </summary>
public sealed record AnalyzeBody(JsonObject Objective, JsonObject? Sweep, double? SecondsPerPoint)
{
    private static readonly string[] SweepFields = ["max_batch_size", "max_queue_delay_us", "instance_count", "intra_op_threads", "execution_provider", "concurrency"];

    /// <exception cref="RequestRefusedException">400 naming the field.</exception>
    public static AnalyzeBody Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw Bad("the body must be a JSON object: {\"objective\": {\"percentile\": 95, \"latency_ms\": 50}}");
        }

        JsonObject? objective = null;
        JsonObject? sweep = null;
        double? seconds = null;
        foreach (var field in body.EnumerateObject())
        {
            switch (field.Name)
            {
                case "objective":
                    objective = ParseObjective(field.Value);
                    break;
                case "sweep":
                    sweep = ParseSweep(field.Value);
                    break;
                case "seconds_per_point":
                    seconds = field.Value.ValueKind == JsonValueKind.Number ? field.Value.GetDouble() : throw Bad("'seconds_per_point' must be a number of seconds");
                    break;
                default:
                    throw Bad($"unknown field '{field.Name}': the body takes 'objective', 'sweep' and 'seconds_per_point'");
            }
        }

        return new AnalyzeBody(objective ?? throw Bad("'objective' is required: {\"percentile\": 95 or 99, \"latency_ms\": a positive number}"), sweep, seconds);
    }

    private static JsonObject ParseObjective(JsonElement objective)
    {
        if (objective.ValueKind != JsonValueKind.Object)
        {
            throw Bad("'objective' must be an object: {\"percentile\": 95 or 99, \"latency_ms\": a positive number}");
        }

        int? percentile = null;
        double? latency = null;
        foreach (var field in objective.EnumerateObject())
        {
            switch (field.Name)
            {
                case "percentile":
                    percentile = field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetInt32(out var p) && p is 95 or 99
                        ? p
                        : throw Bad($"'objective.percentile' must be 95 or 99, not {field.Value.GetRawText()}");
                    break;
                case "latency_ms":
                    latency = field.Value.ValueKind == JsonValueKind.Number && field.Value.GetDouble() is var ms && ms is > 0 and <= 600_000
                        ? ms
                        : throw Bad($"'objective.latency_ms' must be a number above 0 and at most 600000, not {field.Value.GetRawText()}");
                    break;
                default:
                    throw Bad($"unknown field 'objective.{field.Name}': an objective has 'percentile' and 'latency_ms'");
            }
        }

        return new JsonObject
        {
            ["percentile"] = percentile ?? throw Bad("'objective.percentile' is required: 95 or 99"),
            ["latency_ms"] = latency ?? throw Bad("'objective.latency_ms' is required: the latency in milliseconds the percentile must keep"),
        };
    }

    private static JsonObject ParseSweep(JsonElement sweep)
    {
        if (sweep.ValueKind != JsonValueKind.Object)
        {
            throw Bad($"'sweep' must be an object with any of {string.Join(", ", SweepFields.Select(name => $"'{name}'"))}, each a list");
        }

        var parsed = new JsonObject();
        foreach (var field in sweep.EnumerateObject())
        {
            if (!SweepFields.Contains(field.Name))
            {
                throw Bad($"unknown field 'sweep.{field.Name}': a sweep takes {string.Join(", ", SweepFields.Select(name => $"'{name}'"))}");
            }

            var strings = field.Name == "execution_provider";
            if (field.Value.ValueKind != JsonValueKind.Array
                || !field.Value.EnumerateArray().All(value => strings ? value.ValueKind == JsonValueKind.String : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _)))
            {
                throw Bad($"'sweep.{field.Name}' must be a list of {(strings ? "provider names" : "whole numbers")}");
            }

            parsed[field.Name] = JsonNode.Parse(field.Value.GetRawText());
        }

        return parsed;
    }

    private static RequestRefusedException Bad(string message) => RequestRefusedException.BadRequest(message);
}
