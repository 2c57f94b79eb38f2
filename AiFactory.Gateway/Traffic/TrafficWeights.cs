using System.Collections.Immutable;

namespace AiFactory.Gateway.Traffic;

/// <summary>The weights the gateway routes by now, and the policy they come from.</summary>
public sealed record ObservedTraffic(long PolicyId, ImmutableArray<VersionWeight> Weights);

/// <summary>
/// Observed weights: a policy's weights restricted to the versions that serve on every replica, renormalised to 100.
/// A version gets traffic only once every replica serves it; while none of the policy in force does (a new policy
/// still loading), the most recent earlier policy that has one applies, so traffic keeps flowing.
/// </summary>
public static class TrafficWeights
{
    /// <param name="history">The policy in force first, then earlier ones, newest first.</param>
    /// <param name="serves">Whether a version serves (on every replica, or where the caller decides).</param>
    public static ObservedTraffic? Compute(IEnumerable<TrafficPolicy> history, Func<int, bool> serves)
    {
        foreach (var policy in history)
        {
            var serving = policy.Weights.Where(weight => weight.Percent > 0 && serves(weight.Version)).ToList();
            if (serving.Count > 0)
            {
                return new ObservedTraffic(policy.Id, Renormalise(serving));
            }
        }

        return null;
    }

    /// <summary>
    /// Scales integer weights to sum to 100 by the largest remainder (ties to the older version), so the split over
    /// the remaining versions keeps their proportions as closely as whole percents allow.
    /// </summary>
    public static ImmutableArray<VersionWeight> Renormalise(IReadOnlyList<VersionWeight> weights)
    {
        var total = weights.Sum(weight => weight.Percent);
        if (total == 100)
        {
            return [.. weights];
        }

        var scaled = weights.Select(weight => (weight.Version, Floor: weight.Percent * 100 / total, Remainder: weight.Percent * 100 % total)).ToList();
        var missing = 100 - scaled.Sum(weight => weight.Floor);
        var bonus = scaled.OrderByDescending(weight => weight.Remainder).ThenBy(weight => weight.Version).Take(missing)
            .Select(weight => weight.Version).ToHashSet();
        return [.. scaled.Select(weight => new VersionWeight(weight.Version, weight.Floor + (bonus.Contains(weight.Version) ? 1 : 0)))];
    }
}
