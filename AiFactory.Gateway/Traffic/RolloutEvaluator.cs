using System.Globalization;
using System.Text.Json.Nodes;

namespace AiFactory.Gateway.Traffic;

/// <summary>Why a canary is rolled back, and the figures that showed it (audited with the rollback).</summary>
public sealed record RolloutBreach(string Reason, JsonObject Figures);

/// <summary>
/// Compares a canary with the stable version over the same window (<see cref="AutoRollbackOptions"/>): a breach when
/// both had enough requests and the canary's error rate exceeds the stable's by more than the margin, or its p95
/// latency exceeds the stable's times the ratio.
/// </summary>
public static class RolloutEvaluator
{
    public static RolloutBreach? Evaluate(AutoRollbackOptions options, VersionFigures stable, VersionFigures canary)
    {
        if (stable.Requests < options.MinRequests || canary.Requests < options.MinRequests)
        {
            return null;
        }

        var window = options.Window.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        string? reason = null;
        if (canary.ErrorRate - stable.ErrorRate > options.ErrorRateMargin)
        {
            reason = string.Create(CultureInfo.InvariantCulture,
                $"automatic rollback: version {canary.Version} failed {canary.ErrorRate * 100:0.0}% of {canary.Requests} requests over the last {window} s, version {stable.Version} {stable.ErrorRate * 100:0.0}% of {stable.Requests} (margin {options.ErrorRateMargin * 100:0.0}%)");
        }
        else if (canary.P95Seconds > stable.P95Seconds * options.P95MarginRatio)
        {
            reason = string.Create(CultureInfo.InvariantCulture,
                $"automatic rollback: version {canary.Version}'s p95 latency was {canary.P95Seconds * 1000:0.#} ms over the last {window} s, more than {options.P95MarginRatio:0.##} × version {stable.Version}'s {stable.P95Seconds * 1000:0.#} ms");
        }

        return reason is null ? null : new RolloutBreach(reason, new JsonObject
        {
            ["window_seconds"] = options.Window.TotalSeconds,
            ["min_requests"] = options.MinRequests,
            ["error_rate_margin"] = options.ErrorRateMargin,
            ["p95_margin_ratio"] = options.P95MarginRatio,
            ["stable"] = Describe(stable),
            ["canary"] = Describe(canary),
        });
    }

    private static JsonObject Describe(VersionFigures figures) => new()
    {
        ["version"] = figures.Version,
        ["requests"] = figures.Requests,
        ["errors"] = figures.Errors,
        ["error_rate"] = figures.ErrorRate,
        ["p95_seconds"] = figures.P95Seconds,
    };
}
