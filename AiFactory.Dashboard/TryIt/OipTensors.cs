using System.Globalization;
using System.Text.Json;
using AiFactory.Evaluation.Running;

namespace AiFactory.Dashboard.TryIt;

// The Open Inference Protocol's REST shapes, as Try it sends and reads them.

public sealed record OipTensorSpec(string Name, string Datatype, long[] Shape);

public sealed record OipModelMetadata(string Name, string[]? Versions, OipTensorSpec[] Inputs, OipTensorSpec[] Outputs);

public sealed record OipOutput(string Name, string Datatype, long[] Shape, JsonElement Data);

public sealed record OipAnswer(string ModelName, string? ModelVersion, OipOutput[] Outputs);

/// <summary>One FP32 input as the protocol's JSON: what the OCR models take.</summary>
public sealed record OipFloatRequest(OipFloatInput[] Inputs)
{
    public static OipFloatRequest Of(string input, FloatTensor tensor) => new([new OipFloatInput(input, "FP32", tensor.Shape, tensor.Data)]);
}

public sealed record OipFloatInput(string Name, string Datatype, int[] Shape, float[] Data);

/// <summary>What the tensor editor starts from and what its answer table shows.</summary>
public static class OipTensors
{
    /// <summary>How many values of an output the table shows.</summary>
    public const int ShownValues = 16;

    /// <summary>
    /// The most values the editor is prefilled with (about 128 KiB of text, within the circuit's message limit); a
    /// larger input is left empty for the operator to paste.
    /// </summary>
    public const long MaxPrefilledValues = 1 << 16;

    /// <summary>
    /// A request the model accepts as it stands: each input at its declared shape with every variable dimension (-1)
    /// at 1, filled with zeros (false, empty strings), to edit before sending. One input a line, so a large tensor stays
    /// a long line rather than thousands.
    /// </summary>
    public static string Prefill(OipModelMetadata metadata)
    {
        var inputs = metadata.Inputs.Select(input =>
        {
            var shape = input.Shape.Select(dimension => dimension < 0 ? 1 : dimension).ToArray();
            var count = shape.Aggregate(1L, (product, dimension) => product * dimension);
            var zero = input.Datatype switch
            {
                "BOOL" => "false",
                "BYTES" => "\"\"",
                _ => "0",
            };
            var data = count <= MaxPrefilledValues ? string.Join(",", Enumerable.Repeat(zero, (int)count)) : "";
            return $$"""    {"name":{{JsonSerializer.Serialize(input.Name)}},"datatype":{{JsonSerializer.Serialize(input.Datatype)}},"shape":[{{string.Join(",", shape)}}],"data":[{{data}}]}""";
        });
        return $"{{\"inputs\":[\n{string.Join(",\n", inputs)}\n]}}";
    }

    /// <summary>An output's values for the table: the first <see cref="ShownValues"/>, and how many there are.</summary>
    public static string Values(OipOutput output)
    {
        if (output.Data.ValueKind != JsonValueKind.Array)
        {
            return output.Data.ValueKind == JsonValueKind.Undefined ? "(binary)" : output.Data.ToString();
        }

        var count = output.Data.GetArrayLength();
        var shown = string.Join(", ", output.Data.EnumerateArray().Take(ShownValues).Select(Value));
        return count > ShownValues ? $"{shown}, … ({count} values)" : shown;
    }

    public static FloatTensor FloatTensorOf(OipOutput output) =>
        output.Data.ValueKind == JsonValueKind.Array
            ? new FloatTensor([.. output.Data.EnumerateArray().Select(value => value.GetSingle())], [.. output.Shape.Select(dimension => checked((int)dimension))])
            : throw new ArgumentException($"output '{output.Name}' came without JSON data");

    private static string Value(JsonElement value) => value.ValueKind == JsonValueKind.Number
        ? value.GetDouble().ToString("0.####", CultureInfo.InvariantCulture)
        : value.ToString();
}
