extern alias gateway;

using gateway::AiFactory.Gateway.Traffic;

namespace AiFactory.Tests.Gateway.Traffic;

/// <summary>When a canary is rolled back, and what the audit then says.</summary>
public sealed class RolloutEvaluatorTests
{
    private static readonly AutoRollbackOptions Options = new()
    {
        Window = TimeSpan.FromSeconds(60), MinRequests = 50, ErrorRateMargin = 0.05, P95MarginRatio = 1.5,
    };

    [Fact]
    public void A_canary_failing_more_than_the_margin_above_the_stable_version_is_rolled_back_with_the_figures()
    {
        var breach = RolloutEvaluator.Evaluate(Options, new VersionFigures(1, 900, 9, 0.020), new VersionFigures(2, 100, 7, 0.021));

        Assert.NotNull(breach);
        Assert.Equal("automatic rollback: version 2 failed 7.0% of 100 requests over the last 60 s, version 1 1.0% of 900 (margin 5.0%)", breach.Reason);
        Assert.Equal(100, breach.Figures["canary"]!["requests"]!.GetValue<long>());
        Assert.Equal(7, breach.Figures["canary"]!["errors"]!.GetValue<long>());
        Assert.Equal(1, breach.Figures["stable"]!["version"]!.GetValue<int>());
        Assert.Equal(0.05, breach.Figures["error_rate_margin"]!.GetValue<double>());
    }

    [Fact]
    public void A_canary_whose_p95_exceeds_the_stable_versions_times_the_ratio_is_rolled_back()
    {
        var breach = RolloutEvaluator.Evaluate(Options, new VersionFigures(1, 900, 0, 0.020), new VersionFigures(2, 100, 0, 0.031));

        Assert.Equal("automatic rollback: version 2's p95 latency was 31 ms over the last 60 s, more than 1.5 × version 1's 20 ms", breach?.Reason);
    }

    [Theory]
    [InlineData(100, 5, 0.029)]  // 5 % errors beside 1 %: within the margin; p95 1.45 ×
    [InlineData(49, 49, 1.0)]    // everything wrong, but too few requests to judge
    public void A_canary_within_the_margins_or_with_too_few_requests_stays(long requests, long errors, double p95)
    {
        Assert.Null(RolloutEvaluator.Evaluate(Options, new VersionFigures(1, 900, 9, 0.020), new VersionFigures(2, requests, errors, p95)));
    }

    [Fact]
    public void Too_few_requests_on_the_stable_version_judges_nothing()
    {
        Assert.Null(RolloutEvaluator.Evaluate(Options, new VersionFigures(1, 10, 0, 0.020), new VersionFigures(2, 500, 500, 1)));
    }
}
