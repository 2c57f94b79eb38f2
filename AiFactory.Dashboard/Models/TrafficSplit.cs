using System.Globalization;

namespace AiFactory.Dashboard.Models;

/// <summary>
/// The traffic editor's state: a whole percent per ready version, and what keeps it from being sent. It checks what the
/// gateway checks (whole percents 0–100 summing to 100, a reason), so the operator sees the problem before sending;
/// the gateway still decides (a version no longer ready, an incompatible signature without force).
/// </summary>
public sealed class TrafficSplit
{
    private readonly SortedDictionary<int, int> _weights = [];

    /// <summary>The editor for <paramref name="versions"/>, starting from the policy in force (version → percent; others at 0).</summary>
    public TrafficSplit(IEnumerable<int> versions, IReadOnlyDictionary<string, int> desired)
    {
        foreach (var version in versions)
        {
            _weights[version] = desired.TryGetValue(version.ToString(CultureInfo.InvariantCulture), out var weight) ? weight : 0;
        }
    }

    public IReadOnlyDictionary<int, int> Weights => _weights;

    public string Reason { get; set; } = "";

    /// <summary>Give traffic to a version whose signature is incompatible (the gateway asks for it, and a reason).</summary>
    public bool Force { get; set; }

    public int Sum => _weights.Values.Sum();

    public void Set(int version, int percent)
    {
        if (!_weights.ContainsKey(version))
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "not a version this editor holds");
        }

        _weights[version] = percent;
    }

    /// <summary>What is wrong with the split as it stands, in the operator's words; empty when it can be sent.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (_weights.Count == 0)
        {
            problems.Add("no version is ready to take traffic");
        }

        problems.AddRange(_weights.Where(weight => weight.Value is < 0 or > 100)
            .Select(weight => $"version {weight.Key}: {weight.Value}% is not between 0 and 100"));
        if (_weights.Count > 0 && Sum != 100)
        {
            problems.Add($"the weights sum to {Sum}%, not 100%");
        }

        if (string.IsNullOrWhiteSpace(Reason))
        {
            problems.Add("say why: the reason goes into the audit log");
        }

        return problems;
    }

    public bool IsValid => Problems().Count == 0;

    /// <summary>The preview: each version's share of the next 100 requests, as the bar shows it.</summary>
    public IEnumerable<(int Version, int Percent)> Preview() => _weights.Where(weight => weight.Value > 0).Select(weight => (weight.Key, weight.Value));

    public Gateway.TrafficChange ToChange() =>
        new(_weights.ToDictionary(weight => weight.Key.ToString(CultureInfo.InvariantCulture), weight => weight.Value), Reason.Trim(), Force);
}
