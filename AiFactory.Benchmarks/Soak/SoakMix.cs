namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// Which request each arrival sends, decided by its index alone (so a run can be repeated): one in
/// <see cref="HostileEvery"/> is hostile, the hostile kinds taking turns so that they are spread over the whole run;
/// the others are valid kinds drawn in proportion to their weights from a hash of the index.
/// </summary>
public sealed class SoakMix
{
    /// <summary>One arrival in this many is hostile: 1 %.</summary>
    public const int HostileEvery = 100;

    private readonly SoakRequest[] _valid;
    private readonly int[] _cumulativeWeights;
    private readonly IReadOnlyList<SoakRequest> _hostile;

    public SoakMix(IReadOnlyList<(SoakRequest Request, int Weight)> valid, IReadOnlyList<SoakRequest> hostile)
    {
        if (valid.Count == 0 || valid.Any(entry => entry.Weight <= 0 || entry.Request.Hostile) || hostile.Any(request => !request.Hostile))
        {
            throw new ArgumentException("a mix needs valid requests with positive weights, and hostile requests only among the hostile");
        }

        _valid = [.. valid.Select(entry => entry.Request)];
        var sum = 0;
        _cumulativeWeights = [.. valid.Select(entry => sum += entry.Weight)];
        _hostile = hostile;
    }

    public IReadOnlyList<SoakRequest> Valid => _valid;

    public IReadOnlyList<SoakRequest> Hostile => _hostile;

    /// <summary>The request arrival <paramref name="n"/> sends.</summary>
    public SoakRequest Pick(long n)
    {
        if (_hostile.Count > 0 && n % HostileEvery == HostileEvery / 2)
        {
            return _hostile[(int)(n / HostileEvery % _hostile.Count)];
        }

        var drawn = (int)(Hash(n) % (ulong)_cumulativeWeights[^1]);
        var index = Array.BinarySearch(_cumulativeWeights, drawn + 1);
        return _valid[index >= 0 ? index : ~index];
    }

    /// <summary>The same mix without the hostile requests and without those <paramref name="keep"/> refuses.</summary>
    public SoakMix ValidOnly(Func<SoakRequest, bool> keep) =>
        new([.. _valid.Select((request, i) => (request, _cumulativeWeights[i] - (i == 0 ? 0 : _cumulativeWeights[i - 1]))).Where(entry => keep(entry.request))], []);

    /// <summary>
    /// A well-spread 64-bit hash of <paramref name="n"/> (SplitMix64's finaliser): consecutive indices draw
    /// independent-looking values. Request builders use it too, to vary sizes and bodies by index.
    /// </summary>
    public static ulong Hash(long n)
    {
        var z = (ulong)n + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
