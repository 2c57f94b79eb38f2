using System.Buffers.Binary;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Validation;

/// <summary>A tensor's elements as doubles, to count non-finite values and compare versions whatever the datatype.</summary>
public static class TensorValues
{
    /// <summary>The elements in row-major order; null for BYTES, which has no numeric value.</summary>
    public static double[]? ToDoubles(Tensor tensor)
    {
        var size = Datatypes.ElementSize(tensor.Datatype);
        if (size == 0)
        {
            return null;
        }

        var data = tensor.Data.Span;
        var values = new double[data.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            var element = data.Slice(i * size, size);
            values[i] = tensor.Datatype switch
            {
                Datatypes.Fp32 => BinaryPrimitives.ReadSingleLittleEndian(element),
                Datatypes.Fp64 => BinaryPrimitives.ReadDoubleLittleEndian(element),
                Datatypes.Fp16 => (double)BinaryPrimitives.ReadHalfLittleEndian(element),
                Datatypes.Bf16 => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(element) << 16),
                Datatypes.Bool or Datatypes.UInt8 => element[0],
                Datatypes.Int8 => (sbyte)element[0],
                Datatypes.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(element),
                Datatypes.Int16 => BinaryPrimitives.ReadInt16LittleEndian(element),
                Datatypes.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(element),
                Datatypes.Int32 => BinaryPrimitives.ReadInt32LittleEndian(element),
                Datatypes.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(element),
                _ => BinaryPrimitives.ReadInt64LittleEndian(element),
            };
        }

        return values;
    }
}
