using System.Globalization;
using System.Text.Json.Nodes;

namespace AiFactory.Dashboard.Models;

/// <summary>
/// The optimize dialog's state: a transform and the options that belong to it. <see cref="ToRequest"/> sends only
/// those (the gateway refuses an option of another transform); the gateway judges the values.
/// </summary>
public sealed class OptimizeChoice
{
    /// <summary>The transforms of DESIGN.md §8: four that make a file, and the TensorRT serving configuration.</summary>
    public static readonly string[] Transforms = ["graph", "fp16", "int8-dynamic", "int8-static", "tensorrt"];

    public string Transform { get; set; } = "graph";

    /// <summary><c>graph</c>: basic (any provider), extended or all (CPU replicas).</summary>
    public string Level { get; set; } = "basic";

    /// <summary><c>fp16</c>: operator types kept in FP32, comma-separated.</summary>
    public string KeepFp32 { get; set; } = "";

    /// <summary><c>int8-static</c>: minmax or percentile.</summary>
    public string Calibration { get; set; } = "minmax";

    /// <summary><c>int8-static</c> with percentile calibration.</summary>
    public double Percentile { get; set; } = 99.999;

    /// <summary><c>tensorrt</c>: fp16 or int8.</summary>
    public string Precision { get; set; } = "fp16";

    /// <summary>The body of <c>POST …/versions/{version}/optimize</c>.</summary>
    public JsonObject ToRequest() => Transform switch
    {
        "graph" => new() { ["transform"] = Transform, ["level"] = Level },
        "fp16" => new()
        {
            ["transform"] = Transform,
            ["keep_fp32"] = new JsonArray([.. KeepFp32.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(op => JsonValue.Create(op))]),
        },
        "int8-static" when Calibration == "percentile" => new() { ["transform"] = Transform, ["calibration"] = Calibration, ["percentile"] = Percentile },
        "int8-static" => new() { ["transform"] = Transform, ["calibration"] = Calibration },
        "tensorrt" => new() { ["transform"] = Transform, ["precision"] = Precision },
        _ => new() { ["transform"] = Transform },
    };

    /// <summary>What the version's row says of its origin: <c>v3 ← v1 by fp16</c>, or <c>uploaded</c>.</summary>
    public static string Lineage(int version, int? parent, JsonNode? transform) =>
        parent is { } from
            ? $"v{version} ← v{from.ToString(CultureInfo.InvariantCulture)} by {(transform?["name"] is JsonValue name ? name.ToString() : "?")}"
            : "uploaded";
}
