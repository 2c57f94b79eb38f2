extern alias gateway;

using gateway::AiFactory.Gateway.Traffic;
using Microsoft.Extensions.Time.Testing;

namespace AiFactory.Tests.Gateway.Traffic;

/// <summary>What the automatic rollback judges: each version's requests, server errors and p95 over a sliding window.</summary>
public sealed class RolloutWindowTests
{
    private static readonly AutoRollbackOptions Options = new() { Window = TimeSpan.FromSeconds(60) };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Requests_errors_and_p95_are_counted_per_model_policy_and_version()
    {
        var window = new RolloutWindow(_time, Microsoft.Extensions.Options.Options.Create(Options));
        for (var i = 1; i <= 100; i++)
        {
            window.Record("m", 7, 2, serverError: i % 10 == 0, TimeSpan.FromMilliseconds(i));
        }

        window.Record("m", 7, 1, serverError: false, TimeSpan.FromMilliseconds(5));
        window.Record("m", 8, 2, serverError: true, TimeSpan.FromSeconds(9));
        window.Record("other", 7, 2, serverError: true, TimeSpan.FromSeconds(9));

        var figures = window.Figures("m", 7, 2);
        Assert.Equal((100L, 10L), (figures.Requests, figures.Errors));
        Assert.Equal(0.10, figures.ErrorRate, 6);
        // The 95th of 1..100 ms is 95 ms; buckets are 5 % apart.
        Assert.InRange(figures.P95Seconds, 0.095, 0.095 * 1.05);
        Assert.Equal(1, window.Figures("m", 7, 1).Requests);
        Assert.Equal(0, window.Figures("m", 7, 3).Requests);
    }

    [Fact]
    public void Requests_older_than_the_window_drop_out()
    {
        var window = new RolloutWindow(_time, Microsoft.Extensions.Options.Options.Create(Options));
        window.Record("m", 1, 2, serverError: true, TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromSeconds(30));
        window.Record("m", 1, 2, serverError: false, TimeSpan.FromMilliseconds(10));

        Assert.Equal(2, window.Figures("m", 1, 2).Requests);

        _time.Advance(TimeSpan.FromSeconds(35));
        var later = window.Figures("m", 1, 2);
        Assert.Equal((1L, 0L), (later.Requests, later.Errors));

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, window.Figures("m", 1, 2).Requests);
    }

    [Fact]
    public void A_slice_reused_for_a_later_period_starts_empty()
    {
        var window = new RolloutWindow(_time, Microsoft.Extensions.Options.Options.Create(Options));
        window.Record("m", 1, 2, serverError: true, TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromSeconds(60));
        window.Record("m", 1, 2, serverError: false, TimeSpan.FromMilliseconds(10));

        Assert.Equal((1L, 0L), (window.Figures("m", 1, 2).Requests, window.Figures("m", 1, 2).Errors));
    }

    [Fact]
    public void Pruning_forgets_the_policies_no_longer_in_force()
    {
        var window = new RolloutWindow(_time, Microsoft.Extensions.Options.Options.Create(Options));
        window.Record("m", 1, 2, serverError: false, TimeSpan.FromMilliseconds(10));
        window.Record("m", 2, 2, serverError: false, TimeSpan.FromMilliseconds(10));
        window.Record("gone", 1, 1, serverError: false, TimeSpan.FromMilliseconds(10));

        window.Prune(new Dictionary<string, long> { ["m"] = 2 });

        Assert.Equal((0L, 1L, 0L), (window.Figures("m", 1, 2).Requests, window.Figures("m", 2, 2).Requests, window.Figures("gone", 1, 1).Requests));
    }
}
