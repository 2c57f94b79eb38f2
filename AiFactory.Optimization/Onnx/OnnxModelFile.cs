using Google.Protobuf;

namespace AiFactory.Optimization.Onnx;

/// <summary>Reads and writes ONNX models as <see cref="ModelProto"/>: the one place the format's limits are checked.</summary>
public static class OnnxModelFile
{
    /// <summary>Protobuf's own limit on one message: larger models keep their weights in external files.</summary>
    public const long MaxBytes = int.MaxValue;

    /// <exception cref="TransformRefusedException">The bytes are not an ONNX model, or its weights live in external files.</exception>
    public static ModelProto Read(ReadOnlyMemory<byte> bytes)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new TransformRefusedException($"the file is not an ONNX model: {e.Message}");
        }

        if (model.Graph is null)
        {
            throw new TransformRefusedException("the file is not an ONNX model: it has no graph");
        }

        if (model.Graph.Initializer.Any(tensor => tensor.DataLocation == TensorProto.Types.DataLocation.External))
        {
            throw new TransformRefusedException("the model keeps weights in external data files, which a registry version cannot carry");
        }

        return model;
    }

    public static byte[] Write(ModelProto model) => model.ToByteArray();

    /// <summary>The version of the default ONNX operator set the model imports (0 when it names none).</summary>
    public static long Opset(ModelProto model) =>
        model.OpsetImport.Where(import => import.Domain is "" or "ai.onnx").Select(import => import.Version).DefaultIfEmpty(0).Max();
}
