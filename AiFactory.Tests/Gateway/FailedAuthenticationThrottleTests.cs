extern alias gateway;

using System.Net;
using gateway::AiFactory.Gateway.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AiFactory.Tests.Gateway;

/// <summary>The per-address throttle of failed authentications, on a fake clock (the gateway's behaviour is in HostileInput/KeyFloodAttackTests).</summary>
public sealed class FailedAuthenticationThrottleTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void An_address_is_charged_its_burst_then_one_failure_per_refill_and_a_refund_gives_a_charge_back()
    {
        var throttle = Throttle(burst: 3, perMinute: 6);
        var address = IPAddress.Parse("203.0.113.7");

        Assert.All(Enumerable.Range(0, 3), attempt => Assert.True(throttle.TryCharge(address, out _), $"attempt {attempt}"));
        Assert.False(throttle.TryCharge(address, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(10), retryAfter);
        Assert.True(throttle.TryCharge(IPAddress.Parse("203.0.113.8"), out _));

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(throttle.TryCharge(address, out _));
        throttle.Refund(address); // that check found a valid key
        Assert.True(throttle.TryCharge(address, out _));
        Assert.False(throttle.TryCharge(address, out _));
    }

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true)]  // the same /64: one site
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("::ffff:198.51.100.4", "198.51.100.4", true)]                 // IPv4 seen through a dual-stack socket
    [InlineData("198.51.100.4", "198.51.100.5", false)]
    public void Addresses_are_counted_canonically(string first, string second, bool same)
    {
        var throttle = Throttle(burst: 1, perMinute: 1);

        Assert.True(throttle.TryCharge(IPAddress.Parse(first), out _));

        Assert.Equal(!same, throttle.TryCharge(IPAddress.Parse(second), out _));
    }

    [Fact]
    public void Only_the_most_recent_addresses_are_tracked()
    {
        var throttle = Throttle(burst: 1, perMinute: 1, trackedAddresses: 2);
        var first = IPAddress.Parse("192.0.2.1");
        throttle.TryCharge(first, out _);
        throttle.TryCharge(IPAddress.Parse("192.0.2.2"), out _);
        throttle.TryCharge(IPAddress.Parse("192.0.2.3"), out _);

        // The first address was forgotten, and with it its spent burst.
        Assert.True(throttle.TryCharge(first, out _));
    }

    private FailedAuthenticationThrottle Throttle(int burst, double perMinute, int trackedAddresses = 100) =>
        new(Options.Create(new FailedAuthenticationOptions { Burst = burst, PerMinute = perMinute, TrackedAddresses = trackedAddresses }), _time);
}
