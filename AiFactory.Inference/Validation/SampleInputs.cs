using System.Buffers.Binary;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Validation;

/// <summary>
/// Inputs generated from a seed, so that the candidate and the reference see the very same tensors and a validation
/// can be repeated: shapes by <see cref="Warmup.ShapeOf"/> (the model's dimensions, config.json's dims, 32 for the
/// rest), values uniform in [0, 1) for floating point, 0–9 for integers, 0/1 for BOOL, empty strings for BYTES.
/// </summary>
public static class SampleInputs
{
    public static List<Tensor> Create(IReadOnlyList<TensorSpec> inputs, int batchSize, bool batched, Random random)
    {
        var tensors = new List<Tensor>(inputs.Count);
        foreach (var spec in inputs)
        {
            var shape = Warmup.ShapeOf(spec, batchSize, batched);
            tensors.Add(new Tensor(spec.Name, spec.Datatype, shape, Values(spec.Datatype, checked((int)Shapes.ElementCount(shape)), random)));
        }

        return tensors;
    }

    private static byte[] Values(string datatype, int count, Random random)
    {
        var size = Datatypes.ElementSize(datatype);
        // BYTES: every element an empty string, a zero length prefix.
        var data = new byte[checked(count * (size == 0 ? sizeof(int) : size))];
        if (size == 0)
        {
            return data;
        }

        for (var i = 0; i < count; i++)
        {
            var element = data.AsSpan(i * size, size);
            switch (datatype)
            {
                case Datatypes.Fp32:
                    BinaryPrimitives.WriteSingleLittleEndian(element, random.NextSingle());
                    break;
                case Datatypes.Fp64:
                    BinaryPrimitives.WriteDoubleLittleEndian(element, random.NextDouble());
                    break;
                case Datatypes.Fp16:
                    BinaryPrimitives.WriteHalfLittleEndian(element, (Half)random.NextSingle());
                    break;
                case Datatypes.Bf16:
                    // bfloat16 is the upper half of a float's bits.
                    BinaryPrimitives.WriteUInt16LittleEndian(element, (ushort)(BitConverter.SingleToUInt32Bits(random.NextSingle()) >> 16));
                    break;
                case Datatypes.Bool:
                    element[0] = (byte)random.Next(2);
                    break;
                default:
                    // Integers of any width: a small non-negative value, valid as an index or a token id.
                    element[0] = (byte)random.Next(10);
                    break;
            }
        }

        return data;
    }
}
