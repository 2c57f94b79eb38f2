using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Inference.Runtime;

/// <summary>Names of the Open Inference Protocol tensor datatypes, their sizes and their ONNX Runtime counterparts.</summary>
public static class Datatypes
{
    public const string Bool = "BOOL";
    public const string UInt8 = "UINT8";
    public const string UInt16 = "UINT16";
    public const string UInt32 = "UINT32";
    public const string UInt64 = "UINT64";
    public const string Int8 = "INT8";
    public const string Int16 = "INT16";
    public const string Int32 = "INT32";
    public const string Int64 = "INT64";
    public const string Fp16 = "FP16";
    public const string Bf16 = "BF16";
    public const string Fp32 = "FP32";
    public const string Fp64 = "FP64";
    public const string Bytes = "BYTES";

    /// <summary>Bytes per element; 0 for <see cref="Bytes"/>, whose elements are length-prefixed and vary.</summary>
    public static int ElementSize(string datatype) => datatype switch
    {
        Bool or UInt8 or Int8 => 1,
        UInt16 or Int16 or Fp16 or Bf16 => 2,
        UInt32 or Int32 or Fp32 => 4,
        UInt64 or Int64 or Fp64 => 8,
        Bytes => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(datatype), datatype, "not an Open Inference Protocol datatype"),
    };

    /// <summary>The protocol's name for an ONNX element type.</summary>
    public static string FromOnnx(TensorElementType type) => type switch
    {
        TensorElementType.Bool => Bool,
        TensorElementType.UInt8 => UInt8,
        TensorElementType.UInt16 => UInt16,
        TensorElementType.UInt32 => UInt32,
        TensorElementType.UInt64 => UInt64,
        TensorElementType.Int8 => Int8,
        TensorElementType.Int16 => Int16,
        TensorElementType.Int32 => Int32,
        TensorElementType.Int64 => Int64,
        TensorElementType.Float16 => Fp16,
        TensorElementType.BFloat16 => Bf16,
        TensorElementType.Float => Fp32,
        TensorElementType.Double => Fp64,
        TensorElementType.String => Bytes,
        _ => throw new NotSupportedException($"ONNX element type {type} has no Open Inference Protocol datatype"),
    };
}
