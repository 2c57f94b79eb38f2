using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiFactory.Optimization.Transforms;

/// <summary>
/// What an operator asks for: a transform by name and its options, parsed once, strictly (an unknown field, a field
/// another transform takes, a value out of range: refused with the field named). The admin API parses the operator's
/// body with it; the replica that runs the transform parses the canonical form (<see cref="ToJson"/>) with it again.
/// </summary>
/// <param name="Precision"><c>tensorrt</c>: <c>fp16</c> or <c>int8</c> (a serving configuration, so not a <see cref="TransformOptions"/> field).</param>
public sealed record TransformRequest(string Transform, TransformOptions Options, string? Precision = null)
{
    /// <summary>The serving configuration on ONNX Runtime's TensorRT provider, made by the registry, not by a replica.</summary>
    public const string TensorRt = "tensorrt";

    /// <summary>Largest body an optimize request may have: a name and a few options.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    // Each option and the one transform that reads it.
    private static readonly Dictionary<string, string> OptionOwners = new(StringComparer.Ordinal)
    {
        ["level"] = "graph",
        ["keep_fp32"] = "fp16",
        ["calibration"] = "int8-static",
        ["percentile"] = "int8-static",
        ["precision"] = TensorRt,
    };

    /// <summary>Every transform an operator may ask for: the files <see cref="ModelTransforms"/> makes, and <see cref="TensorRt"/>.</summary>
    public static IReadOnlyList<string> Names => [.. ModelTransforms.All.Keys.Append(TensorRt).Order(StringComparer.Ordinal)];

    /// <param name="known">The transforms there are; <see cref="Names"/> unless a test gives others.</param>
    /// <exception cref="FormatException">The body is not a request: the message names the field and what it takes.</exception>
    public static TransformRequest Parse(ReadOnlySpan<byte> utf8, IReadOnlyCollection<string>? known = null)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8.ToArray());
            return Parse(document.RootElement, known);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the body is not JSON: {e.Message}");
        }
    }

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte})"/>
    public static TransformRequest Parse(JsonElement json, IReadOnlyCollection<string>? known = null)
    {
        known ??= Names;
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the body must be a JSON object: {\"transform\": \"...\", options...}");
        }

        var name = json.TryGetProperty("transform", out var transform) && transform.ValueKind == JsonValueKind.String ? transform.GetString()! : null;
        if (name is null)
        {
            throw new FormatException($"'transform' is required: one of {string.Join(", ", known)}");
        }

        if (!known.Contains(name))
        {
            throw new FormatException($"unknown transform '{name}': one of {string.Join(", ", known)}");
        }

        var options = TransformOptions.Default;
        string? precision = null;
        foreach (var property in json.EnumerateObject())
        {
            if (property.Name == "transform")
            {
                continue;
            }

            if (!OptionOwners.TryGetValue(property.Name, out var owner))
            {
                throw new FormatException($"unknown field '{property.Name}': a request has 'transform' and the options {string.Join(", ", OptionOwners.Keys.Select(key => $"'{key}'"))}");
            }

            if (owner != name)
            {
                throw new FormatException($"'{property.Name}' is an option of transform '{owner}', not of '{name}'");
            }

            var value = property.Value;
            switch (property.Name)
            {
                case "level":
                    // The transform knows its levels and refuses one it lacks, with the ones it has.
                    options = options with { GraphLevel = String(value, "level") };
                    break;
                case "keep_fp32":
                    options = options with { KeepFp32Operators = OperatorTypes(value) };
                    break;
                case "calibration":
                    options = options with
                    {
                        Calibration = String(value, "calibration") switch
                        {
                            "minmax" => CalibrationMethod.MinMax,
                            "percentile" => CalibrationMethod.Percentile,
                            var other => throw new FormatException($"'calibration' is '{other}': minmax or percentile"),
                        },
                    };
                    break;
                case "percentile":
                    options = options with { Percentile = Percentile(value) };
                    break;
                case "precision":
                    precision = String(value, "precision") switch
                    {
                        var accepted when accepted is "fp16" or "int8" => accepted,
                        var other => throw new FormatException($"'precision' is '{other}': fp16 or int8"),
                    };
                    break;
            }
        }

        return name == TensorRt
            ? new TransformRequest(name, options, precision ?? "fp16")
            : new TransformRequest(name, options);
    }

    /// <summary>The canonical form: the transform and the options that concern it, every one with its value in force.</summary>
    public JsonObject ToJson() => Transform switch
    {
        "graph" => new() { ["transform"] = Transform, ["level"] = Options.GraphLevel },
        "fp16" => new() { ["transform"] = Transform, ["keep_fp32"] = new JsonArray([.. Options.KeepFp32Operators.Order(StringComparer.Ordinal).Select(op => JsonValue.Create(op))]) },
        "int8-static" => new()
        {
            ["transform"] = Transform,
            ["calibration"] = Options.Calibration == CalibrationMethod.Percentile ? "percentile" : "minmax",
            ["percentile"] = Options.Percentile,
        },
        TensorRt => new() { ["transform"] = Transform, ["precision"] = Precision },
        _ => new() { ["transform"] = Transform },
    };

    private static string String(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new FormatException($"'{field}' must be a string");

    private static double Percentile(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var percentile) && percentile > 90 && percentile <= 100
            ? percentile
            : throw new FormatException($"'percentile' is {value.GetRawText()}: a number in (90, 100], e.g. 99.99");

    private static HashSet<string> OperatorTypes(JsonElement value)
    {
        // ONNX operator types are identifiers (Conv, Softmax, LayerNormalization); at most a few dozen exist that matter.
        const int MaxOperators = 64;
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxOperators)
        {
            throw new FormatException($"'keep_fp32' must be an array of at most {MaxOperators} operator types, e.g. [\"Softmax\", \"Resize\"]");
        }

        var operators = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in value.EnumerateArray())
        {
            var op = item.ValueKind == JsonValueKind.String ? item.GetString()! : "";
            if (op.Length is 0 or > 64 || !char.IsAsciiLetter(op[0]) || !op.All(char.IsAsciiLetterOrDigit))
            {
                throw new FormatException($"'keep_fp32' holds {item.GetRawText()}: an ONNX operator type, letters and digits, e.g. \"Softmax\"");
            }

            operators.Add(op);
        }

        return operators;
    }
}
