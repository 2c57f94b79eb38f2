using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiFactory.Tests.ServiceDefaults;

/// <summary>Kestrel's limits come from each service's configuration (<c>Kestrel:Limits</c>).</summary>
public sealed class ServerLimitsTests
{
    [Fact]
    public void Configured_limits_and_data_rates_reach_kestrel()
    {
        var kestrel = KestrelOptionsFrom(new()
        {
            ["Kestrel:Limits:MaxRequestHeaderCount"] = "20",
            ["Kestrel:Limits:RequestHeadersTimeout"] = "00:00:07",
            ["Kestrel:Limits:Http2:MaxStreamsPerConnection"] = "10",
            ["Kestrel:Limits:MinRequestBodyDataRate:BytesPerSecond"] = "4096",
            ["Kestrel:Limits:MinRequestBodyDataRate:GracePeriod"] = "00:00:03",
        });

        Assert.Equal(20, kestrel.Limits.MaxRequestHeaderCount);
        Assert.Equal(TimeSpan.FromSeconds(7), kestrel.Limits.RequestHeadersTimeout);
        Assert.Equal(10, kestrel.Limits.Http2.MaxStreamsPerConnection);
        Assert.Equal((4096d, TimeSpan.FromSeconds(3)), (kestrel.Limits.MinRequestBodyDataRate!.BytesPerSecond, kestrel.Limits.MinRequestBodyDataRate.GracePeriod));
        // Not configured: Kestrel's default stays.
        Assert.Equal(240, kestrel.Limits.MinResponseDataRate!.BytesPerSecond);
    }

    [Fact]
    public void A_grace_period_kestrel_cannot_check_fails_at_start_naming_the_field()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => KestrelOptionsFrom(new()
        {
            ["Kestrel:Limits:MinRequestBodyDataRate:BytesPerSecond"] = "4096",
            ["Kestrel:Limits:MinRequestBodyDataRate:GracePeriod"] = "00:00:01",
        }));

        Assert.Contains("GracePeriod", invalid.Message);
    }

    private static KestrelServerOptions KestrelOptionsFrom(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServerLimits();
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
    }
}
