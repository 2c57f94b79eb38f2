using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// Which version serves a caller that names none: the caller's point, the first 8 bytes of
/// SHA-256(key id + '\n' + model) read as a big-endian unsigned integer, modulo 10 000, falls in one version's band
/// (bands laid out in ascending version order, each weight × 100 wide). The same key and model always land on the
/// same point, so a caller stays on one version while the weights stay; across callers the shares match the weights.
/// </summary>
public static class StickyRouting
{
    public const int Points = 10_000;

    public static int PointOf(string keyId, string model)
    {
        var input = Encoding.UTF8.GetBytes($"{keyId}\n{model}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % Points);
    }

    /// <summary>The version whose band holds <paramref name="point"/>; <paramref name="weights"/> sum to 100, ascending by version.</summary>
    public static int Pick(IReadOnlyList<VersionWeight> weights, int point)
    {
        var upper = 0;
        foreach (var weight in weights)
        {
            upper += weight.Percent * (Points / 100);
            if (point < upper)
            {
                return weight.Version;
            }
        }

        throw new ArgumentException($"the weights {TrafficPolicy.Describe(weights)} do not cover point {point}", nameof(weights));
    }
}
