using System.Buffers.Binary;
using AiFactory.Inference.Protocol;

namespace AiFactory.Inference.Runtime;

/// <summary>Walks the elements of a BYTES tensor in the protocol's binary form.</summary>
public ref struct BytesElements(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    public ReadOnlySpan<byte> Current { get; private set; }

    public readonly BytesElements GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_rest.Length < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(_rest);
        if (length < 0 || length > _rest.Length - 4)
        {
            throw InferenceError.InvalidArgument("a BYTES element's length prefix runs past the end of its tensor");
        }

        Current = _rest.Slice(4, length);
        _rest = _rest[(4 + length)..];
        return true;
    }

    /// <summary>Counts the elements and checks the prefixes cover the data exactly.</summary>
    public static long Count(string inputName, ReadOnlySpan<byte> data)
    {
        long count = 0;
        while (data.Length > 0)
        {
            if (data.Length < 4)
            {
                throw InferenceError.InvalidArgument($"input '{inputName}': BYTES data ends inside a length prefix");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(data);
            if (length < 0 || length > data.Length - 4)
            {
                throw InferenceError.InvalidArgument($"input '{inputName}': BYTES element {count} claims {length} bytes, more than remain");
            }

            data = data[(4 + length)..];
            count++;
        }

        return count;
    }
}
