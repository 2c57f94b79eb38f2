using System.Text;

namespace AiFactory.Inference.Validation;

/// <summary>
/// What the top level of an ONNX file (an <c>onnx.ModelProto</c>, protobuf) says about itself, read without ONNX
/// Runtime and without loading the graph: its IR version, producer and default-domain opset. Reading it first tells
/// apart a file that is no ONNX model at all from one that is cut short, which ONNX Runtime reports alike ("protobuf
/// parsing failed"), and learns the opset, which ONNX Runtime does not expose.
/// </summary>
public sealed record OnnxModelFile(long IrVersion, string? Producer, string? ProducerVersion, long? Opset)
{
    // Far above any ONNX IR version (11 in 2025): a first varint beyond it means the bytes are something else.
    private const long MaxIrVersion = 1000;

    // Strings and opset entries worth reading; larger ones are skipped.
    private const int MaxSmallField = 64 * 1024;

    /// <summary>ModelProto's fields (onnx.proto) and whether each is length-delimited (else a varint).</summary>
    private static readonly Dictionary<int, (string Name, bool LengthDelimited)> Fields = new()
    {
        [1] = ("ir_version", false), [2] = ("producer_name", true), [3] = ("producer_version", true), [4] = ("domain", true),
        [5] = ("model_version", false), [6] = ("doc_string", true), [7] = ("graph", true), [8] = ("opset_import", true),
        [14] = ("metadata_props", true), [20] = ("training_info", true), [25] = ("functions", true),
    };

    /// <summary>Reads the top level of <paramref name="path"/>.</summary>
    /// <exception cref="ModelFileException">Not an ONNX model, or a truncated one; the message says which and why.</exception>
    public static OnnxModelFile Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.SequentialScan);
        var size = file.Length;
        if (size == 0)
        {
            throw ModelFileException.NotOnnx("the file is empty");
        }

        long? irVersion = null;
        string? producer = null, producerVersion = null;
        long? opset = null;
        var hasGraph = false;
        while (file.Position < size)
        {
            var at = file.Position;
            var tag = ReadVarint(file, irVersion is not null, "a field's tag");
            var (number, wireType) = ((int)Math.Min(tag >> 3, int.MaxValue), (int)(tag & 7));
            if (!Fields.TryGetValue(number, out var field) || field.LengthDelimited != (wireType == 2) || wireType is not (0 or 2))
            {
                throw ModelFileException.NotOnnx($"byte {at} starts protobuf field {number} with wire type {wireType}, which an ONNX ModelProto does not have");
            }

            if (!field.LengthDelimited)
            {
                var value = (long)ReadVarint(file, irVersion is not null, field.Name);
                if (number == 1)
                {
                    irVersion = value is > 0 and <= MaxIrVersion
                        ? value
                        : throw ModelFileException.NotOnnx($"its ir_version would be {value}, which no ONNX version has");
                }

                continue;
            }

            var length = ReadVarint(file, irVersion is not null, $"the length of {field.Name}");
            var remaining = size - file.Position;
            if (length > (ulong)remaining)
            {
                var problem = $"field '{field.Name}' at byte {at} declares {length} bytes, but only {remaining} follow (the file has {size} bytes)";
                throw irVersion is null ? ModelFileException.NotOnnx(problem) : ModelFileException.Truncated(problem);
            }

            if (number is 2 or 3 or 8 && length <= MaxSmallField)
            {
                var bytes = new byte[length];
                file.ReadExactly(bytes);
                switch (number)
                {
                    case 2: producer = Encoding.UTF8.GetString(bytes); break;
                    case 3: producerVersion = Encoding.UTF8.GetString(bytes); break;
                    default: opset = DefaultDomainVersion(bytes) ?? opset; break;
                }
            }
            else
            {
                file.Seek((long)length, SeekOrigin.Current);
                hasGraph |= number == 7;
            }
        }

        if (irVersion is null)
        {
            throw ModelFileException.NotOnnx("it has no ir_version");
        }

        return hasGraph ? new OnnxModelFile(irVersion.Value, producer, producerVersion, opset)
            : throw ModelFileException.Truncated($"it ends after {size} bytes, before the model's graph");
    }

    /// <summary>The version of an OperatorSetIdProto (domain = 1, version = 2) for the default domain, else null.</summary>
    private static long? DefaultDomainVersion(byte[] entry)
    {
        using var stream = new MemoryStream(entry, writable: false);
        var domain = "";
        long? version = null;
        while (stream.Position < stream.Length)
        {
            var tag = ReadVarint(stream, truncatedFile: true, "opset_import");
            switch (tag)
            {
                case (1 << 3) | 2:
                    var length = ReadVarint(stream, truncatedFile: true, "opset_import.domain");
                    if (length > (ulong)(stream.Length - stream.Position))
                    {
                        return null;
                    }

                    var bytes = new byte[length];
                    stream.ReadExactly(bytes);
                    domain = Encoding.UTF8.GetString(bytes);
                    break;
                case (2 << 3) | 0:
                    version = (long)ReadVarint(stream, truncatedFile: true, "opset_import.version");
                    break;
                default:
                    return null;
            }
        }

        return domain is "" or "ai.onnx" ? version : null;
    }

    private static ulong ReadVarint(Stream stream, bool truncatedFile, string what)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = stream.ReadByte();
            if (b < 0)
            {
                var problem = $"it ends inside {what}";
                throw truncatedFile ? ModelFileException.Truncated(problem) : ModelFileException.NotOnnx(problem);
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw ModelFileException.NotOnnx($"{what} is not a protobuf varint");
    }
}

/// <summary>A file that cannot be an ONNX model; the message is the problem as the validation report states it.</summary>
public sealed class ModelFileException(string message) : Exception(message)
{
    public static ModelFileException NotOnnx(string reason) => new($"not an ONNX model: {reason}");

    public static ModelFileException Truncated(string reason) => new($"the file is truncated: {reason}");
}
