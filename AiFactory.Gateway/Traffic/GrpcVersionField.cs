using System.Buffers.Binary;
using System.Text;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// Names the version in a gRPC call the traffic split routed: field 2 (<c>model_version</c> of
/// <c>ModelInferRequest</c>, <c>version</c> of <c>ModelMetadataRequest</c> and <c>ModelReadyRequest</c>) appended to
/// the message, whose length prefix grows by as much. Protobuf keeps the last value of a scalar field, so the version
/// appended is the one inference reads, whatever the message held before. The message itself is not copied: the
/// call's body becomes the new prefix, the message as it was, and the field.
/// </summary>
public static class GrpcVersionField
{
    // gRPC's length-prefixed message: a compressed flag, then the message length as a 4-byte big-endian integer.
    private const int PrefixBytes = 5;

    // Field 2, wire type 2 (length-delimited).
    private const byte Tag = (2 << 3) | 2;

    /// <summary>The field's bytes: its tag, the version's length as a varint, the version in UTF-8.</summary>
    public static byte[] Encode(string version)
    {
        var text = Encoding.UTF8.GetBytes(version);
        var field = new List<byte>(text.Length + 6) { Tag };
        for (var length = (uint)text.Length; ; length >>= 7)
        {
            if (length < 0x80)
            {
                field.Add((byte)length);
                break;
            }

            field.Add((byte)(length | 0x80));
        }

        field.AddRange(text);
        return [.. field];
    }

    /// <summary>
    /// <paramref name="framed"/> (one uncompressed length-prefixed message, read from its start) with the version
    /// appended; <paramref name="added"/> is how many bytes longer it is.
    /// </summary>
    public static Stream Append(Stream framed, string version, out int added)
    {
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        framed.ReadExactly(prefix);
        if (prefix[0] != 0)
        {
            throw new InvalidOperationException("a compressed gRPC message cannot be rewritten");
        }

        var field = Encode(version);
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        var head = new byte[PrefixBytes];
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(1), checked(length + (uint)field.Length));
        added = field.Length;
        return new ConcatenatedStream(head, framed, field);
    }

    /// <summary>A head, the rest of a stream, and a tail, read one after the other.</summary>
    private sealed class ConcatenatedStream(byte[] head, Stream body, byte[] tail) : AiFactory.Storage.ReadOnlyStream(body)
    {
        private int _headRead;
        private int _tailRead;

        public override int Read(Span<byte> buffer)
        {
            if (_headRead < head.Length)
            {
                return Take(head, ref _headRead, buffer);
            }

            var read = Inner.Read(buffer);
            return read > 0 ? read : Take(tail, ref _tailRead, buffer);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_headRead < head.Length)
            {
                return Take(head, ref _headRead, buffer.Span);
            }

            var read = await Inner.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : Take(tail, ref _tailRead, buffer.Span);
        }

        private static int Take(byte[] source, ref int taken, Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, source.Length - taken);
            source.AsSpan(taken, count).CopyTo(buffer);
            taken += count;
            return count;
        }
    }
}
