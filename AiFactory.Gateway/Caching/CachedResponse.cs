using System.Runtime.InteropServices;
using System.Text;

namespace AiFactory.Gateway.Caching;

/// <summary>
/// An inference answer as the cache keeps it: what a client needs to receive the same bytes again. Stored as one
/// Redis string: <c>[status:int32][n:int32][n × (name, value)][body]</c>, strings length-prefixed UTF-8.
/// </summary>
public sealed record CachedResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body)
{
    /// <summary>The entry in one array of its exact size: the body is copied once, straight after the prefix.</summary>
    public byte[] Serialize()
    {
        using var prefix = new MemoryStream(256);
        using (var writer = new BinaryWriter(prefix, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Status);
            writer.Write(Headers.Count);
            foreach (var (name, value) in Headers)
            {
                writer.Write(name);
                writer.Write(value);
            }
        }

        var entry = new byte[prefix.Length + Body.Length];
        prefix.GetBuffer().AsSpan(0, (int)prefix.Length).CopyTo(entry);
        Body.Span.CopyTo(entry.AsSpan((int)prefix.Length));
        return entry;
    }

    /// <summary>The entry <paramref name="entry"/> holds; its body is a slice of it, not a copy.</summary>
    public static CachedResponse Deserialize(ReadOnlyMemory<byte> entry)
    {
        if (!MemoryMarshal.TryGetArray(entry, out var segment))
        {
            segment = entry.ToArray();
        }

        using var reader = new BinaryReader(new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false), Encoding.UTF8);
        var status = reader.ReadInt32();
        var headers = new KeyValuePair<string, string>[reader.ReadInt32()];
        for (var i = 0; i < headers.Length; i++)
        {
            headers[i] = new(reader.ReadString(), reader.ReadString());
        }

        var position = (int)reader.BaseStream.Position;
        return new CachedResponse(status, headers, entry[position..]);
    }
}
