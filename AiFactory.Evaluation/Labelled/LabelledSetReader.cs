using System.Buffers;
using System.Text.Json;

namespace AiFactory.Evaluation.Labelled;

/// <summary>
/// Reads a labelled set (the format in docs/optimization.md) with <see cref="Utf8JsonReader"/>: strictly (unknown
/// fields, wrong types and values out of a datatype's range are errors naming their JSON path), within
/// <see cref="LabelledSetLimits"/> counted from the bytes and elements actually read, never from a declared length or
/// shape: a shape is only checked against the data that came.
/// </summary>
public static class LabelledSetReader
{
    private static readonly string[] IntegerTypes = ["BOOL", "UINT8", "INT8", "INT16", "INT32", "INT64"];
    private static readonly string[] FloatTypes = ["FP32", "FP64"];

    /// <summary>Reads the whole stream (at most <see cref="LabelledSetLimits.MaxBytes"/>) and parses it.</summary>
    public static async Task<LabelledSet> ReadAsync(Stream stream, LabelledSetLimits limits, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limits.MaxBytes + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                // One byte past the limit at most: enough to know the set is too large, never more.
                var read = await stream.ReadAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length, limits.MaxBytes + 1L) - length), cancellationToken);
                if (read == 0)
                {
                    return Parse(buffer.AsSpan(0, length), limits);
                }

                length += read;
                if (length > limits.MaxBytes)
                {
                    throw new LabelledSetTooLargeException($"the labelled set is larger than the limit of {limits.MaxBytes} bytes");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static LabelledSet Parse(ReadOnlySpan<byte> json, LabelledSetLimits limits)
    {
        if (json.Length > limits.MaxBytes)
        {
            throw new LabelledSetTooLargeException($"the labelled set is larger than the limit of {limits.MaxBytes} bytes");
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        var budget = new Budget(limits);
        try
        {
            Next(ref reader, "$");
            var set = ReadSet(ref reader, budget);
            // Content after the set makes the reader throw: a document holds one JSON value.
            reader.Read();
            return set;
        }
        catch (JsonException e)
        {
            throw new LabelledSetException($"the labelled set is not valid JSON: {e.Message}", e);
        }
    }

    private static LabelledSet ReadSet(ref Utf8JsonReader reader, Budget budget)
    {
        Expect(ref reader, JsonTokenType.StartObject, "$", "an object");
        LabelledMetric? metric = null;
        string? output = null;
        List<LabelledSample>? samples = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (NextProperty(ref reader, "$", seen) is { } property)
        {
            var path = $"$.{property}";
            Next(ref reader, path);
            switch (property)
            {
                case "metric":
                    metric = ReadString(ref reader, path) switch
                    {
                        "argmax_accuracy" => LabelledMetric.ArgmaxAccuracy,
                        "max_abs_error" => LabelledMetric.MaxAbsError,
                        "exact_match" => LabelledMetric.ExactMatch,
                        var other => throw new LabelledSetException($"{path}: '{other}' is not a metric (argmax_accuracy, max_abs_error, exact_match)"),
                    };
                    break;
                case "output":
                    output = ReadName(ref reader, path);
                    break;
                case "samples":
                    samples = ReadSamples(ref reader, path, budget);
                    break;
                default:
                    throw Unknown(path);
            }
        }

        var set = new LabelledSet(
            metric ?? throw Missing("$.metric"),
            output ?? throw Missing("$.output"),
            samples ?? throw Missing("$.samples"));
        Check(set);
        return set;
    }

    private static List<LabelledSample> ReadSamples(ref Utf8JsonReader reader, string path, Budget budget)
    {
        Expect(ref reader, JsonTokenType.StartArray, path, "an array");
        var samples = new List<LabelledSample>();
        while (Next(ref reader, path) != JsonTokenType.EndArray)
        {
            var samplePath = $"{path}[{samples.Count}]";
            if (samples.Count == budget.Limits.MaxSamples)
            {
                throw new LabelledSetException($"{path}: more than the limit of {budget.Limits.MaxSamples} samples");
            }

            samples.Add(ReadSample(ref reader, samplePath, budget));
        }

        return samples.Count > 0 ? samples : throw new LabelledSetException($"{path}: at least one sample is required");
    }

    private static LabelledSample ReadSample(ref Utf8JsonReader reader, string path, Budget budget)
    {
        Expect(ref reader, JsonTokenType.StartObject, path, "an object");
        List<LabelledTensor>? inputs = null;
        LabelledTensor? expected = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (NextProperty(ref reader, path, seen) is { } property)
        {
            var propertyPath = $"{path}.{property}";
            Next(ref reader, propertyPath);
            switch (property)
            {
                case "inputs":
                    Expect(ref reader, JsonTokenType.StartArray, propertyPath, "an array");
                    inputs = [];
                    while (Next(ref reader, propertyPath) != JsonTokenType.EndArray)
                    {
                        var input = ReadTensor(ref reader, $"{propertyPath}[{inputs.Count}]", budget);
                        if (input.Name is null)
                        {
                            throw Missing($"{propertyPath}[{inputs.Count}].name");
                        }

                        if (inputs.Any(other => other.Name == input.Name))
                        {
                            throw new LabelledSetException($"{propertyPath}[{inputs.Count}].name: input '{input.Name}' is given twice");
                        }

                        inputs.Add(input);
                    }

                    break;
                case "expected":
                    expected = ReadTensor(ref reader, propertyPath, budget);
                    break;
                default:
                    throw Unknown(propertyPath);
            }
        }

        return new LabelledSample(
            inputs is { Count: > 0 } ? inputs : throw new LabelledSetException($"{path}.inputs: at least one input is required"),
            expected ?? throw Missing($"{path}.expected"));
    }

    private static LabelledTensor ReadTensor(ref Utf8JsonReader reader, string path, Budget budget)
    {
        Expect(ref reader, JsonTokenType.StartObject, path, "an object");
        string? name = null;
        string? datatype = null;
        long[]? shape = null;
        List<double>? values = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (NextProperty(ref reader, path, seen) is { } property)
        {
            var propertyPath = $"{path}.{property}";
            Next(ref reader, propertyPath);
            switch (property)
            {
                case "name":
                    name = ReadName(ref reader, propertyPath);
                    break;
                case "datatype":
                    datatype = ReadString(ref reader, propertyPath);
                    if (!IntegerTypes.Contains(datatype) && !FloatTypes.Contains(datatype))
                    {
                        throw new LabelledSetException($"{propertyPath}: '{datatype}' is not supported (BOOL, UINT8, INT8, INT16, INT32, INT64, FP32, FP64)");
                    }

                    break;
                case "shape":
                    shape = ReadShape(ref reader, propertyPath, budget.Limits.MaxRank);
                    break;
                case "data":
                    values = ReadData(ref reader, propertyPath, budget);
                    break;
                default:
                    throw Unknown(propertyPath);
            }
        }

        if (datatype is null || shape is null || values is null)
        {
            throw Missing($"{path}.{(datatype is null ? "datatype" : shape is null ? "shape" : "data")}");
        }

        // The shape is trusted only as far as the data that came: no product of its dimensions is ever allocated.
        if (!ShapeHolds(shape, values.Count))
        {
            throw new LabelledSetException($"{path}: shape [{string.Join(", ", shape)}] does not hold the {values.Count} values given");
        }

        return FloatTypes.Contains(datatype)
            ? new LabelledTensor(name, datatype, shape, [.. values.Select(value => CheckFloat(value, datatype, path))], null)
            : new LabelledTensor(name, datatype, shape, null, [.. values.Select(value => CheckInteger(value, datatype, path))]);
    }

    private static bool ShapeHolds(long[] shape, long count)
    {
        long product = 1;
        foreach (var dimension in shape)
        {
            if (dimension == 0)
            {
                return count == 0;
            }

            if (product > count / dimension)
            {
                return false;
            }

            product *= dimension;
        }

        return product == count;
    }

    private static long[] ReadShape(ref Utf8JsonReader reader, string path, int maxRank)
    {
        Expect(ref reader, JsonTokenType.StartArray, path, "an array of dimensions");
        var shape = new List<long>();
        while (Next(ref reader, path) != JsonTokenType.EndArray)
        {
            if (shape.Count == maxRank)
            {
                throw new LabelledSetException($"{path}: more than {maxRank} dimensions");
            }

            // ONNX Runtime's tensors take int dimensions.
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var dimension) || dimension is < 0 or > int.MaxValue)
            {
                throw new LabelledSetException($"{path}[{shape.Count}]: a dimension is a whole number from 0 to {int.MaxValue}");
            }

            shape.Add(dimension);
        }

        return [.. shape];
    }

    /// <summary>Numbers and booleans, flat or nested (OIP allows both), counted against the set's element budget as they come.</summary>
    private static List<double> ReadData(ref Utf8JsonReader reader, string path, Budget budget)
    {
        Expect(ref reader, JsonTokenType.StartArray, path, "an array");
        var values = new List<double>();
        var depth = 1;
        while (depth > 0)
        {
            switch (Next(ref reader, path))
            {
                case JsonTokenType.StartArray:
                    depth++;
                    break;
                case JsonTokenType.EndArray:
                    depth--;
                    break;
                case JsonTokenType.Number when reader.TryGetDouble(out var number) && double.IsFinite(number):
                    budget.Take(path);
                    values.Add(number);
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    budget.Take(path);
                    values.Add(reader.TokenType == JsonTokenType.True ? 1 : 0);
                    break;
                default:
                    throw new LabelledSetException($"{path}[{values.Count}]: a value is a finite number or a boolean");
            }
        }

        return values;
    }

    private static double CheckFloat(double value, string datatype, string path) =>
        datatype == "FP32" && Math.Abs(value) > float.MaxValue
            ? throw new LabelledSetException($"{path}.data: {value} is out of FP32's range")
            : value;

    private static long CheckInteger(double value, string datatype, string path)
    {
        var (min, max) = datatype switch
        {
            "BOOL" => (0d, 1d),
            "UINT8" => (byte.MinValue, byte.MaxValue),
            "INT8" => (sbyte.MinValue, sbyte.MaxValue),
            "INT16" => (short.MinValue, short.MaxValue),
            "INT32" => (int.MinValue, int.MaxValue),
            _ => (-9007199254740992d, 9007199254740992d), // INT64: what a JSON number holds exactly (±2^53)
        };
        return value == Math.Floor(value) && value >= min && value <= max
            ? (long)value
            : throw new LabelledSetException($"{path}.data: {value} is not a {datatype} value");
    }

    /// <summary>What the metric needs of the expected tensors, checked once the whole set is read.</summary>
    private static void Check(LabelledSet set)
    {
        for (var i = 0; i < set.Samples.Count; i++)
        {
            var expected = set.Samples[i].Expected;
            var path = $"$.samples[{i}].expected";
            if (expected.Name is { } name && name != set.Output)
            {
                throw new LabelledSetException($"{path}.name: '{name}' is not the output the set measures ('{set.Output}')");
            }

            var fits = set.Metric switch
            {
                LabelledMetric.ArgmaxAccuracy => expected.Datatype is "INT32" or "INT64",
                LabelledMetric.MaxAbsError => FloatTypes.Contains(expected.Datatype),
                _ => true,
            };
            if (!fits)
            {
                throw new LabelledSetException(set.Metric == LabelledMetric.ArgmaxAccuracy
                    ? $"{path}.datatype: argmax_accuracy expects class indices (INT32 or INT64), not {expected.Datatype}"
                    : $"{path}.datatype: max_abs_error expects FP32 or FP64 values, not {expected.Datatype}");
            }
        }
    }

    private static string ReadString(ref Utf8JsonReader reader, string path) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new LabelledSetException($"{path}: a string is required");

    /// <summary>A tensor name: 1 to 256 characters, no control characters (names reach logs and reports).</summary>
    private static string ReadName(ref Utf8JsonReader reader, string path)
    {
        var name = ReadString(ref reader, path);
        return name.Length is > 0 and <= 256 && !name.Any(char.IsControl)
            ? name
            : throw new LabelledSetException($"{path}: a name is 1 to 256 characters without control characters");
    }

    /// <summary>The next field's name, or null at the end of the object; a field given twice is an error (one reading, not "the last one wins").</summary>
    private static string? NextProperty(ref Utf8JsonReader reader, string path, HashSet<string> seen)
    {
        if (Next(ref reader, path) == JsonTokenType.EndObject)
        {
            return null;
        }

        var name = reader.GetString()!;
        return seen.Add(name) ? name : throw new LabelledSetException($"{path}.{name}: given twice");
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader, string path) =>
        reader.Read() ? reader.TokenType : throw new LabelledSetException($"{path}: the labelled set ends too early");

    /// <summary>Every Read… method starts on its value's first token; this checks what that token is.</summary>
    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string path, string what)
    {
        if (reader.TokenType != type)
        {
            throw new LabelledSetException($"{path}: {what} is required");
        }
    }

    private static LabelledSetException Missing(string path) => new($"{path} is required");

    private static LabelledSetException Unknown(string path) => new($"{path}: unknown field");

    /// <summary>Elements still allowed over the whole set.</summary>
    private sealed class Budget(LabelledSetLimits limits)
    {
        private long _left = limits.MaxElements;

        public LabelledSetLimits Limits => limits;

        public void Take(string path)
        {
            if (--_left < 0)
            {
                throw new LabelledSetException($"{path}: the labelled set holds more than the limit of {limits.MaxElements} values");
            }
        }
    }
}
